"""Replies fitted to the channel's traits, the last thing the dialog does before answering.

- At most ``max_options`` options: the rest wait behind a "More" option (``more``).
- On a channel with reserved words, no option label holds one (the customer might type
  it, and the carrier would act on it): yes/no and a few others get labels without
  them, anything else loses the word.
- No date hint where there is no date picker, no contact hint where there are no
  buttons (a channel with buttons ignores the hints it has no use for).
- No message longer than ``max_text``: counted with its numbered lines where there are no
  buttons (:func:`bot.replies.as_text`), a longer text is split into several replies at
  line, sentence or word ends, the options and attachments on the last.

Pure, like the step: the translation function comes in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.replies import Hint, Option, Reply, as_text
from bot.traits import ChannelTraits

__all__ = ["MORE", "Fitted", "fit"]

MORE = "more"
"""The value of the "More" option."""
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")


def _safe_labels(_: Callable[[str], str]) -> dict[str, str]:
    """Labels without the carriers' words, for the options whose usual label has one."""
    return {
        "yes": _("Go ahead"),
        "no": _("Not now"),
        "menu:help": _("What I can do"),
        "menu:book": _("Begin again"),
        "act:cancel": _("Call off a booking"),
    }


@dataclass(frozen=True, slots=True)
class Fitted:
    replies: tuple[Reply, ...]
    options: tuple[Option, ...] | None
    """The options now on screen (the last reply's that has any), ``None`` if no reply has."""
    more: tuple[Option, ...]
    """The options behind "More" of those on screen; ``()`` when all fit."""
    paged: bool
    """Whether this fitting put options behind "More" (else ``more`` is empty)."""


def fit(replies: Sequence[Reply], traits: ChannelTraits, _: Callable[[str], str]) -> Fitted:
    on_screen: tuple[Option, ...] | None = None
    more: tuple[Option, ...] = ()
    paged = False
    out: list[Reply] = []
    for reply in replies:
        options = _pair(reply.options, traits, _)
        options = tuple(_label(o, traits, _) for o in options)
        rest: tuple[Option, ...] = ()
        if len(options) > traits.max_options:
            keep = traits.max_options - 1
            options, rest = (*options[:keep], Option(_("More"), MORE)), options[keep:]
        if options:
            on_screen, more, paged = options, rest, bool(rest)
        hint = _hint(reply, traits)
        out.extend(_within(replace(reply, options=options, hint=hint), traits))
    return Fitted(tuple(out), on_screen, more, paged)


def _hint(reply: Reply, traits: ChannelTraits) -> Hint | None:
    """A date hint needs a date picker; a contact hint, buttons (one may share the number)."""
    usable = traits.date_picker if reply.hint == "date" else traits.has_buttons
    return reply.hint if usable else None


def _pair(
    options: tuple[Option, ...], traits: ChannelTraits, _: Callable[[str], str]
) -> tuple[Option, ...]:
    """A yes/no question whose one answer holds a carrier's word gets both answers in the
    safe wording ("1. Go ahead / 2. Not now", not "1. Confirm / 2. Not now")."""
    values = {o.value for o in options}
    if not {"yes", "no"} <= values or not any(_reserved_in(o.label, traits) for o in options):
        return options
    safe = _safe_labels(_)
    return tuple(
        replace(o, label=safe[o.value]) if o.value in ("yes", "no") else o for o in options
    )


def _label(option: Option, traits: ChannelTraits, _: Callable[[str], str]) -> Option:
    if not traits.reserved_words or not _reserved_in(option.label, traits):
        return option
    safe = _safe_labels(_).get(option.value)
    if safe is not None and not _reserved_in(safe, traits):
        return replace(option, label=safe)
    words = [w for w in option.label.split() if not _reserved_in(w, traits)]
    return replace(option, label=" ".join(words) or "…")


def _reserved_in(text: str, traits: ChannelTraits) -> bool:
    return any(traits.reserves(word) for word in _WORD.findall(text))


def _within(reply: Reply, traits: ChannelTraits) -> list[Reply]:
    """``reply`` as one or more replies no longer than ``traits.max_text``."""
    limit = traits.max_text
    if not traits.has_buttons:
        reply = replace(reply, options=_shortened(reply.options, limit))
    tail = len(as_text(replace(reply, text=""), attachments=traits.attachments))
    if traits.has_buttons:
        tail = 0
    if len(reply.text) + tail <= limit:
        return [reply]
    parts = _split(reply.text, limit)
    last = parts.pop()
    if len(last) + tail > limit:
        *more, last = _split(last, limit - tail)
        parts.extend(more)
    return [*(Reply(part) for part in parts), replace(reply, text=last)]


def _shortened(options: tuple[Option, ...], limit: int) -> tuple[Option, ...]:
    """Labels cut (with "…") so that the numbered lines take at most half a message."""
    lines = sum(len(o.label) + 5 for o in options)
    if lines <= limit // 2:
        return options
    room = max(8, (limit // 2) // max(1, len(options)) - 5)
    return tuple(
        replace(o, label=o.label if len(o.label) <= room else o.label[: room - 1] + "…")
        for o in options
    )


def _split(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut where a reader pauses: at a line
    end, else a sentence end, else a space, else anywhere."""
    limit = max(1, limit)
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = window.rfind("\n")
        if cut <= 0:
            ends = [m.start() for m in _SENTENCE_END.finditer(window)]
            cut = ends[-1] if ends else window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [p for p in pieces if p] or [""]
