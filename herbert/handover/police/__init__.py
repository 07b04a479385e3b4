"""What police see: the fixed /police entry page, the link + code page, and the read-only form that starts with
the person (the web grab sheet)."""
