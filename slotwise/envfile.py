"""``.env.example``, written from :class:`slotwise.settings.Settings` so the two never drift.

    python -m slotwise.envfile > .env.example

Every setting is listed with its meaning and its default, commented out: a copy
(``cp .env.example .env``) changes nothing until a line is uncommented.
``tests/deploy/test_envfile.py`` fails when the file is not what this writes.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import wrap

from pydantic import SecretStr

from slotwise.settings import Settings

__all__ = ["COMPOSE_ONLY", "env_example", "variable"]

COMPOSE_ONLY: dict[str, tuple[str, str]] = {
    "POSTGRES_PASSWORD": (
        "slotwise",
        "docker-compose.yml: the password of the postgres service's 'slotwise' user. "
        "Change it before the database holds real bookings.",
    ),
    "HTTP_PORT": ("8000", "docker-compose.yml: the host port the app is published on."),
}
"""Variables only ``docker-compose.yml`` reads (not settings of Slotwise itself)."""

_HEADER = """\
# Slotwise settings: copy to .env (`cp .env.example .env`) and uncomment what you change.
# Read by `slotwise` from the working directory and by `docker compose` (docker-compose.yml).
# Written by `python -m slotwise.envfile > .env.example` from slotwise/settings.py; do not
# edit by hand. docker-compose.yml sets DATABASE_URL, REDIS_URL and HOST for its services.
"""


def variable(name: str) -> str:
    """The environment variable of the setting ``name``."""
    return f"SLOTWISE_{name.upper()}"


def _shown(default: object) -> str:
    if default is None:
        return ""
    if isinstance(default, SecretStr):
        return ""
    if isinstance(default, Path):
        return str(default)
    text = str(default)
    return f'"{text}"' if any(c in text for c in " #<>'\"") else text


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in wrap(text, 96)]


def env_example() -> str:
    lines = [_HEADER]
    lines.append("# --- docker compose only ---")
    for name, (default, meaning) in COMPOSE_ONLY.items():
        lines += [*_comment(meaning), f"#{name}={default}", ""]
    lines.append("# --- Slotwise ---")
    for name, field in Settings.model_fields.items():
        meaning = field.description or ""
        default = _shown(field.default)
        unset = "" if default else " Default: unset."
        lines += [*_comment(meaning + unset), f"#{variable(name)}={default}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(env_example(), end="")
