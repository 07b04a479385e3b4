"""Moving a record between services: the export package (JSON, photos, PDF, README), its schema, and importing
one as hostile input."""
