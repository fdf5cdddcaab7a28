"""Adapters to the outside world (arrive with the bookings and chat issues)."""
