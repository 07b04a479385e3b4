"""The form, defined once: the registry of sections, pages and questions, their fields and validators, and the
one generic page view that serves every question page."""
