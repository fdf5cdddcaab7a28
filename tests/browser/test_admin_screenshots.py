"""``python -m tools.admin_screenshots`` still takes every picture docs/admin.md shows.

The pages change (a helper adds a form, a page is renamed); this runs the tool as the
coordinator does, into a temporary folder, and fails when a shot was skipped or a picture
that the page names was not made, so the pictures can always be made again.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import ROOT

PAGE = ROOT / "docs" / "admin.md"
SHOWN = re.compile(r"(?:\]\(|src=\")admin/([\w-]+\.png)")


def test_the_tool_makes_every_picture_the_page_shows(tmp_path: Path) -> None:
    shown = set(SHOWN.findall(PAGE.read_text()))
    assert len(shown) >= 20
    made = subprocess.run(
        [sys.executable, "-m", "tools.admin_screenshots", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    pictures = {p.name for p in tmp_path.glob("*.png")}
    assert shown <= pictures, sorted(shown - pictures)
    for name in pictures:
        header = (tmp_path / name).read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert (width, height) in {(1280, 800), (390, 844)}, (name, width, height)
    assert shown <= {p.name for p in (ROOT / "docs" / "admin").glob("*.png")}
