"""Shared care: co-carers with roles (herbert.access), invitations, the carers page and its rules."""
