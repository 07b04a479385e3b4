"""Storage only: the record store (the one place people's data is sealed and opened), the keys, blob storage
(folder or S3), erasure, verification, backup and restore, the sweep, and their operator commands."""
