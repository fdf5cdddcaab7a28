"""The languages Slotwise speaks, with nothing else imported: the command line reads them
before it has loaded any translation machinery (:mod:`core.text.i18n` re-exports them)."""

LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "ru")
"""Every language with a catalog under ``locales/``; the first is the fallback."""
