"""Helpers shared by the tests: carers, CSRF tokens, sample forms and photos, PDFs read back, and the real
servers some tests start (SMTP, object storage, a counting HTTP server). Test modules import from here, never
from each other."""
