"""What the customer wants done: an intent, maybe a choice, maybe a command.

The order of precedence is what a receptionist does with a short message:

1. a number or an ordinal alone ("2", "#2", "the second one") is a choice;
2. a word that says what to do wins: cancel, then reschedule, waitlist,
   book, list ("cancel my booking" cancels, "book my appointment" books);
3. a yes or no said first ("no, Tuesday") or alone ("👍") answers a question;
4. a service, a provider or a time wish with nothing else is a booking;
5. a lone "?" asks for help; anything else is unknown.

Commands (start over, talk to a person, change language, earlier, later,
another day) are read beside the intent: "start over" has intent
``unknown``, "another day, Friday?" is a booking for Friday *and* the
command ``another_day``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.understand.reading import Command, Intent
from bot.understand.tagging import Word

__all__ = ["Gist", "read_gist"]

_EXPLICIT: tuple[Intent, ...] = ("cancel", "reschedule", "waitlist", "book", "list", "help")
_COMMANDS: tuple[Command, ...] = ("restart", "human", "language", "another_day", "earlier", "later")
_NOISE = frozenset({"#", ".", ")", "!", ",", ":", "?"})
_MAX_CHOICE = 99
_SHORT_FOR_LANGUAGE = 6
"""A language name in a message this short (in words) asks to switch to it:
"español", "in English please", "auf Deutsch bitte"."""


@dataclass(frozen=True, slots=True)
class Gist:
    intent: Intent
    choice: int | None = None
    command: Command | None = None
    language: str | None = None


def read_gist(
    words: Sequence[Word], *, named: bool, wished: bool, inside_names: Collection[int]
) -> Gist:
    """``named``: a service or provider was found; ``wished``: a time wish was said;
    ``inside_names``: token offsets that belong to a matched name ("French manicure")."""
    command, language = _command(words, inside_names)
    content = [word for word in words if not _is_noise(word)]
    choice = _choice(content, words)
    if choice is not None:
        return Gist("choice", choice, command, language)
    said = [str(word.value("intent")) for word in words if word.has("intent")]
    for intent in _EXPLICIT:
        if intent in said and not (intent == "help" and _only_question_marks(words)):
            return Gist(intent, None, command, language)
    answer = _yes_no(content)
    if answer is not None and not named:
        # "Super, danke! Und eine Massage ...", "sí, quería un masaje ...": an opener,
        # not an answer, once the message names a service or a provider
        return Gist(answer, None, command, language)
    if named or wished:
        return Gist("book", None, command, language)
    if "help" in said and command is None and all(_is_noise(word) for word in words):
        return Gist("help", None, command, language)  # "?" alone
    return Gist("unknown", None, command, language)


def _is_noise(word: Word) -> bool:
    if word.has("polite", "filler", "article"):
        return True
    return word.kind == "sym" and word.text in _NOISE


def _only_question_marks(words: Sequence[Word]) -> bool:
    helps = [word for word in words if word.value("intent") == "help"]
    return all(word.text == "?" for word in helps)


_CARDINAL_DAY_ARTICLES = frozenset({"el", "le"})
"""Before a number in words these name a day ("el dos", "le vingt-deux"); an option
is "la dos", "le deuxième" or "le numéro 2"."""
_GENITIVE_ORDINAL = ("ого", "его")
"""A Russian ordinal in the genitive is a date ("двадцать второго"); an option is "второй"."""


def _choice(content: list[Word], words: Sequence[Word]) -> int | None:
    """A number or an ordinal and nothing else of substance; an ordinal number ("2nd")
    only with a word that makes it an option ("the 2nd one"): alone it is a date. After
    a word that makes it a date ("on the second", "am zweiten", "el día dos") it is one."""
    plain = [word for word in content if not word.has("yes")]
    chosen = any(word.has("filler") and word.kind != "sym" for word in words)
    if any(word.has("on_day") for word in words) and not chosen:
        return None
    if len(plain) == 2 and plain[0].has("dom"):
        first, second = plain
        if second.has("numword") and first.text in _CARDINAL_DAY_ARTICLES and not chosen:
            return None
        if second.has("ordinal", "numword") or (second.kind == "num" and chosen):
            plain = plain[1:]  # "der zweite", "le deuxième", "le numéro 3": an option
    if len(plain) == 1 and plain[0].has("ordinal") and plain[0].text.endswith(_GENITIVE_ORDINAL):
        return None
    if not plain:  # "one" alone is a filler word and the number 1
        plain = [word for word in words if word.has("numword")]
    if len(plain) != 1:
        return None
    word = plain[0]
    number: int | None = None
    if word.kind == "num" and not word.tags:
        number = int(word.text)
    elif word.has("numword"):
        value = word.value("numword")
        number = value if isinstance(value, int) else None
    elif word.has("ordinal"):
        value = word.value("ordinal")
        number = value if isinstance(value, int) else None
    elif word.kind == "ordnum" and any(
        other.has("filler") and other.kind != "sym" for other in words
    ):  # "the 2nd one" is a choice; "the 10th..." is still a date
        number = int("".join(ch for ch in word.text if ch.isdigit()))
    if number is None or not 1 <= number <= _MAX_CHOICE:
        return None
    return number


def _yes_no(content: list[Word]) -> Intent | None:
    """Yes or no said first (not as an emoji), or said and nothing else."""
    if not content:
        return None
    first = content[0]
    if first.kind != "sym" and first.has("yes", "no"):
        return "yes" if first.has("yes") else "no"
    if all(word.has("yes", "no") for word in content):
        return "yes" if content[0].has("yes") else "no"
    return None


def _command(
    words: Sequence[Word], inside_names: Collection[int]
) -> tuple[Command | None, str | None]:
    said = {str(word.value("command")) for word in words if word.has("command")}
    languages = [
        str(word.value("language"))
        for word in words
        if word.has("language") and word.start not in inside_names
    ]
    language = languages[0] if languages else None
    verbs = any(word.has("human_verb") for word in words)
    who = [word for word in words if word.has("human_who")]
    content = [word for word in words if not _is_noise(word) and word.kind != "sym"]
    if (verbs and who) or (who and len(who) == len(content)):
        said.add("human")
    if language is not None and len(content) <= _SHORT_FOR_LANGUAGE:
        said.add("language")
    for command in _COMMANDS:
        if command in said:
            return command, language if command == "language" else None
    return None, None
