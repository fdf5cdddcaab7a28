"""The layers of ARCHITECTURE.md, enforced: arrows only point down, through the doors.

Every module's import statements are read with ``ast`` (those inside functions
and under ``TYPE_CHECKING`` too): a channel goes through ``core``'s doors
(``core.bookings``, ``core.directory``, ``core.offers``, ``core.errors``...), never the
store, the models, the engine or the ORM; the bot likewise; the admin panel uses
``core``, not ``bot``; benchmarks do not lean on the tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
RULES: dict[str, tuple[str, ...]] = {
    "channels": ("core.store", "core.models", "core.engine", "tortoise"),
    "bot": ("core.store", "core.models", "core.engine"),
    "admin": ("bot",),
    "bench": ("tests",),
}


def imported(path: Path, root: Path = ROOT) -> list[tuple[int, list[str]]]:
    """Each import statement in ``path`` as its line and the module names it may load:
    ``from core import store`` names ``core`` and ``core.store``."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: list[tuple[int, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, [alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, [base, *(f"{base}.{a.name}" for a in node.names)]))
    return found


def violations(layer: str, root: Path = ROOT) -> list[str]:
    """``file:line module`` for each import statement of ``layer`` its rule forbids."""
    bad = []
    for path in sorted((root / layer).rglob("*.py")):
        for line, names in imported(path, root):
            hits = [n for n in names if any(n == f or n.startswith(f + ".") for f in RULES[layer])]
            if hits:
                bad.append(f"{path.relative_to(root)}:{line} {hits[0]}")
    return bad


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_only_through_the_doors(layer: str) -> None:
    assert (ROOT / layer).is_dir()
    assert violations(layer) == []


def test_the_check_finds_a_violation_when_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "channels" / "sub").mkdir(parents=True)
    (tmp_path / "channels" / "sub" / "__init__.py").write_text("")
    (tmp_path / "channels" / "sub" / "x.py").write_text(
        "from core import store\n"
        "import tortoise.exceptions\n"
        "def late() -> None:\n"
        "    from core.engine.explain import explain\n"
        "from core.bookings import BookingService\n"
        "from ..clients import Limits\n"
    )
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "y.py").write_text("from tests.bot import phrases\n")
    assert violations("channels", tmp_path) == [
        "channels/sub/x.py:1 core.store",
        "channels/sub/x.py:2 tortoise.exceptions",
        "channels/sub/x.py:4 core.engine.explain",
    ]
    assert violations("bench", tmp_path) == [
        "bench/y.py:1 tests.bot",
    ]
    assert violations("admin", tmp_path) == []
