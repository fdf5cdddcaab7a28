"""What a channel can show, as the dialog needs to know it: the channel's traits.

The dialog never learns a channel's name; it reads these and words its offers to
fit them (see ``bot/dialog/fit.py``): no more options than fit, numbered lines
where there are no buttons, never a word the carrier acts on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TRAITS", "ChannelTraits"]


@dataclass(frozen=True, slots=True)
class ChannelTraits:
    has_buttons: bool
    """Options show as buttons; without, as numbered lines the customer answers by number."""
    max_options: int
    """How many options fit in one reply; the rest are one "More" away."""
    max_text: int
    """The longest text of one message (with its numbered lines, where there are no buttons)."""
    attachments: bool
    """Files (the ``.ics``) can be sent; else the channel links to their ``url``."""
    reserved_words: frozenset[str]
    """Words the bot must never ask a customer to type (carriers act on STOP, CANCEL...).
    Compared without regard to case."""
    date_picker: bool
    """A ``"date"`` hint can show a date picker."""

    def __post_init__(self) -> None:
        if self.max_options < 2:
            raise ValueError(
                f"max_options: at least 2 (one option and More), not {self.max_options}"
            )
        if self.max_text < 80:
            raise ValueError(f"max_text: at least 80 characters, not {self.max_text}")

    def reserves(self, word: str) -> bool:
        return word.casefold() in {w.casefold() for w in self.reserved_words}


DEFAULT_TRAITS = ChannelTraits(
    has_buttons=True,
    max_options=16,
    max_text=4096,
    attachments=True,
    reserved_words=frozenset(),
    date_picker=True,
)
"""For an :class:`~bot.inbound.Inbound` that names no traits: what the dialog assumed before
channels declared theirs (buttons, no limit that binds). Every channel declares its own."""
