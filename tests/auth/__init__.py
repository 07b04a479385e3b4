"""Account, sign-in, two-factor and session tests (security.md B1-B3)."""
