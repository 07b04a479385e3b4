"""Missing now: the report (form section N, sealed with the person's key) and the carer's pages that fill it in."""
