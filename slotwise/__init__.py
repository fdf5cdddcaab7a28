"""Slotwise: the composition root (the command, settings, the app)."""
