"""The translation catalogs: in step with the code, complete, and safe to format.

``make messages`` extracts the strings of ``bot/`` and ``channels/`` (see ``babel.cfg``)
into ``locales/messages.pot`` and updates every ``locales/<lang>/LC_MESSAGES/messages.po``.
English keeps empty translations (the msgid is the text); every other language must
translate everything, with the same ``{placeholders}`` (the bot fills them with
``str.format``, so a missing or misspelt one is a crash or a hole in a customer's reply).
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Iterable
from functools import cache
from io import BytesIO

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parent
POT = LOCALES_DIR / f"{DOMAIN}.pot"
SOURCE = LANGUAGES[0]
"""English: the msgids are its text, its msgstrs stay empty."""
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE)
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "n_": (1, 2)}
"""What ``make messages`` passes: ``-k _ -k n_:1,2`` on top of pybabel's defaults."""
FIX = (
    "run `make messages`, then translate the new entries in "
    "locales/<lang>/LC_MESSAGES/messages.po for " + ", ".join(TRANSLATED)
)
BUTTONS = (
    "Confirm", "Cancel", "No", "Earlier", "Later", "Another day", "My bookings", "Help",
    "Today", "Tomorrow", "This week", "First available", "Join the waitlist",
    "Talk to a person", "Start over", "Yes, move it", "Yes, cancel it", "No, keep it",
    "Cancel a booking", "Move a booking", "Book another", "Language",
)  # fmt: skip
"""Button labels: a phone shows a few side by side, so they stay short in every language."""
MAX_BUTTON = 25

MessageId = str | tuple[str, ...]


def _po_path(lang: str) -> str:
    return f"locales/{lang}/LC_MESSAGES/{DOMAIN}.po"


@cache
def _template() -> Catalog:
    with POT.open("rb") as source:
        return read_po(source, domain=DOMAIN)


@cache
def _catalog(lang: str) -> Catalog:
    with (ROOT / _po_path(lang)).open("rb") as source:
        return read_po(source, locale=lang, domain=DOMAIN)


def _key(message_id: MessageId, context: str | None) -> tuple[str | None, MessageId]:
    return context, message_id


def _keys(catalog: Catalog) -> set[tuple[str | None, MessageId]]:
    return {_key(message.id, message.context) for message in catalog if message.id}


def _show(key: tuple[str | None, MessageId]) -> str:
    context, message_id = key
    text = message_id if isinstance(message_id, str) else message_id[0]
    shown = repr(text if len(text) <= 80 else text[:77] + "...")
    return f"{shown} (context {context!r})" if context else shown


def _listing(keys: Iterable[tuple[str | None, MessageId]]) -> str:
    return "".join(f"\n  {_show(key)}" for key in sorted(keys, key=repr))


def _strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, str):
        return (message.string,)
    return tuple(message.string or ())


def _placeholders(text: str) -> set[str]:
    """The replacement fields ``str.format`` fills; ValueError if the text is no format."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _lone_numbers(catalog: Catalog) -> set[int]:
    """Plural forms the language uses for a single number (English "one" is only 1): such
    a form may spell the number out ("a minute") instead of writing ``{n}``."""
    rule = gettext.c2py(catalog.plural_expr)
    numbers: dict[int, set[int]] = {}
    for n in range(1000):
        numbers.setdefault(rule(n), set()).add(n)
    return {form for form, ns in numbers.items() if len(ns) == 1}


# --- the template and the code -----------------------------------------------------------


def test_template_is_up_to_date_with_the_code() -> None:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    in_code = {
        _key(message, context)
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS
        )
    }
    in_template = _keys(_template())
    new, gone = in_code - in_template, in_template - in_code
    problems = []
    if new:
        problems.append(f"strings in the code, not in the .pot:{_listing(new)}")
    if gone:
        problems.append(f"strings in the .pot, gone from the code:{_listing(gone)}")
    assert not problems, f"locales/{DOMAIN}.pot is out of date; {FIX}.\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_every_template_message(lang: str) -> None:
    missing = _keys(_template()) - _keys(_catalog(lang))
    problem = f"{_po_path(lang)} lacks messages of locales/{DOMAIN}.pot; {FIX}."
    assert not missing, problem + _listing(missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header_fits_the_language(lang: str) -> None:
    catalog, expected = _catalog(lang), get_plural(lang)
    assert (catalog.num_plurals, catalog.plural_expr) == (
        expected.num_plurals,
        expected.plural_expr,
    ), f"{_po_path(lang)}: Plural-Forms should be {expected.plural_forms!r}"


# --- the translations --------------------------------------------------------------------


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    catalog = _catalog(lang)
    problems = []
    for template in _template():
        if not template.id:
            continue
        message = catalog.get(template.id, context=template.context)
        key = _key(template.id, template.context)
        if message is None:
            problems.append(f"{_show(key)}: missing (run `make messages`)")
        elif message.fuzzy:
            problems.append(f"{_show(key)}: fuzzy (check it, then remove the fuzzy flag)")
        elif len(_strings(message)) != (catalog.num_plurals if message.pluralizable else 1):
            problems.append(f"{_show(key)}: needs {catalog.num_plurals} plural forms")
        elif not all(text.strip() for text in _strings(message)):
            problems.append(f"{_show(key)}: not translated")
    assert not problems, f"{_po_path(lang)}:" + "".join(f"\n  {p}" for p in problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    catalog = _catalog(lang)
    lone = _lone_numbers(catalog)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        for form, text in enumerate(_strings(message)):
            if not text:
                continue  # English, or reported by test_every_message_is_translated
            source = ids[1] if message.pluralizable else ids[0]
            where = _show(_key(message.id, message.context))
            where += f" form {form}" if message.pluralizable else ""
            try:
                got = _placeholders(text)
            except ValueError as error:
                problems.append(f"{where}: not a valid format string ({error}): {text!r}")
                continue
            wanted = _placeholders(source)
            if message.pluralizable and form in lone and got == wanted - {"n"}:
                continue  # the form for a single number may say it in words
            if got != wanted:
                problems.append(f"{where}: has {sorted(got)}, the msgid {sorted(wanted)}: {text!r}")
    assert not problems, f"{_po_path(lang)}:" + "".join(f"\n  {p}" for p in problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_compiles_cleanly(lang: str) -> None:
    catalog = _catalog(lang)
    errors = [
        f"{_show(_key(message.id, message.context))}: {error}"
        for message, message_errors in catalog.check()
        for error in message_errors
    ]
    assert not errors, f"{_po_path(lang)}:" + "".join(f"\n  {e}" for e in errors)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # what `pybabel compile` (and bot.i18n) does
    compiled.seek(0)
    translations = Translations(compiled, domain=DOMAIN)
    for message in catalog:
        if message.id and not message.pluralizable and message.string and not message.fuzzy:
            assert translations.gettext(message.id) == message.string


@pytest.mark.parametrize("lang", TRANSLATED)
def test_button_labels_are_short(lang: str) -> None:
    catalog = _catalog(lang)
    long = {
        label: message.string
        for label in BUTTONS
        if (message := catalog.get(label)) is not None
        and isinstance(message.string, str)
        and len(message.string) > MAX_BUTTON
    }
    assert not long, f"{_po_path(lang)}: button labels over {MAX_BUTTON} characters: {long}"
