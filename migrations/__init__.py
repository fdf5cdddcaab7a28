"""Tortoise migrations of the app label ``models``; applied by ``core.db.migrate``."""
