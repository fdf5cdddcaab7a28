"""The admin panel (arrives with its own issue)."""
