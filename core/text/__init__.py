"""Text that the bot, the admin panel and the worker all write: shared below ``bot/``.

One door, several small rooms:

- :mod:`core.text.characters`: which characters no text of ours may hold (re-exported
  here, so ``from core.text import first_control`` reads as it always did);
- :mod:`core.text.i18n`: the languages we speak, translations, dates for a person;
- :mod:`core.text.calendar`: a booking's ``.ics`` file (stable UID, SEQUENCE, CANCEL);
- :mod:`core.text.links`: the customer's addresses (manage page, calendar file), the one
  place that knows their layout.

Nothing here imports ``bot``, ``channels`` or the ORM; ``characters`` and ``links`` are
pure, ``i18n`` reads only the catalogs under ``locales/``.
"""

from core.text.characters import describe, first_control, strip_controls

__all__ = ["describe", "first_control", "strip_controls"]
