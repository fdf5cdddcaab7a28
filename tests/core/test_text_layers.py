"""``core/text`` is shared text below ``bot/``: it imports no upper layer, and the language
list is defined once for ``bot/``, ``channels/`` and ``core/text`` together."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import core.text
from core.text import describe, first_control, strip_controls
from core.text.i18n import LANGUAGES

ROOT = Path(core.text.__file__).resolve().parents[2]
SEARCHED = ("bot", "channels", "core/text")
UPPER = ("bot", "channels", "admin", "slotwise", "tortoise", "core.models", "core.db")


def language_lists(source: str) -> list[int]:
    """Lines of ``source`` where a literal tuple, list or set of every language code we
    speak is written (``("en", "es", ...)``, in any order): a definition of the language
    list. A few of them (the languages that read "5" as a date) are a rule, not the list."""
    found: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(values) == len(node.elts) and set(values) == set(LANGUAGES):
                found.append(node.lineno)
    return found


def test_the_search_finds_a_language_list() -> None:
    assert language_lists('LANGS = ("en", "es", "de", "fr", "ru")') == [1]
    assert language_lists('x = {"ru", "fr", "de", "es", "en"}\ny = ("es", "fr")') == [1]


def test_the_language_list_is_defined_once() -> None:
    places = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in SEARCHED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in language_lists(path.read_text(encoding="utf-8"))
    ]
    assert len(places) == 1, places
    assert places[0].startswith("core/text/languages.py:")


def test_the_bot_and_its_understanding_share_the_list() -> None:
    from bot.i18n import LANGUAGES as bot_languages
    from bot.understand import LANGUAGES as understood

    assert bot_languages is understood is LANGUAGES


def test_core_text_imports_no_upper_layer() -> None:
    code = (
        "import json, sys\n"
        "import core.text, core.text.i18n, core.text.calendar, core.text.links\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = json.loads(result.stdout)
    bad = [name for name in loaded for top in UPPER if name == top or name.startswith(top + ".")]
    assert bad == []


def test_the_old_door_still_opens() -> None:
    """``core/text.py`` became a package; its callers' imports read as before."""
    assert first_control("a\x00b") == "\x00"
    assert strip_controls("a\x07b\n") == "ab\n"
    assert describe("\x00") == "U+0000"
