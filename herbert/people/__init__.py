"""A carer's people: the dashboard, each person's page (task list, versions), check your answers, confirming a
version, what changed between versions, and erasing a person's record."""
