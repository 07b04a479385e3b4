"""Accounts: sign up, sign in and out, password change, two-factor, account deletion."""
