"""The emergency and moving a record: missing now, shares with police and what police see, transfer (export and
import), and found."""
