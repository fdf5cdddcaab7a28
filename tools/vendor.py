"""Copy the admin panel's front-end libraries from npm (admin/frontend/node_modules) into
admin/static/vendor/, where the panel serves them from its own origin.

The panel's Content-Security-Policy allows scripts and styles only from this server, so no
page may load a library from a CDN; the files come from npm packages at the exact versions of
admin/frontend/package-lock.json (`npm ci`), and each one's licence is copied beside it.
axe-core is not served: only the accessibility tests read it, from node_modules.

Run by `make vendor` (and so by `make run` and `make test`) and by the Dockerfile.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "admin" / "frontend" / "node_modules"
TARGET = ROOT / "admin" / "static" / "vendor"

FILES = {
    "@event-calendar/build/dist/event-calendar.min.js": "event-calendar.min.js",
    "@event-calendar/build/dist/event-calendar.min.css": "event-calendar.min.css",
    "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
    "chart.js/LICENSE.md": "chart.js.LICENSE.md",
}


def main() -> int:
    missing = [source for source in FILES if not (MODULES / source).is_file()]
    if missing:
        print(
            "admin/frontend/node_modules lacks "
            + ", ".join(missing)
            + ": run `npm ci --prefix admin/frontend` (make vendor does)",
            file=sys.stderr,
        )
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    for source, name in FILES.items():
        shutil.copyfile(MODULES / source, TARGET / name)
    print(f"vendored {len(FILES)} files into {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
