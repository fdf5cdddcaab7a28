"""The server's secret: from ``SLOTWISE_SECRET_KEY``, else made once and kept in a file.

A secret must never be in the repository, and every process of one installation
must share it (a hold token signed by one is verified by another), so an unset
secret is generated on first use into ``secret_key_file`` (``./data/secret_key``,
readable by the owner only) and read back by every later process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from slotwise.settings import Settings

__all__ = ["server_secret"]

_MIN_BYTES = 16


def server_secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value().encode()
        if len(secret) < _MIN_BYTES:
            raise ValueError(
                f"SLOTWISE_SECRET_KEY must be at least {_MIN_BYTES} characters; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return secret
    return _kept_secret(settings.secret_key_file)


def _kept_secret(path: Path) -> bytes:
    """Read the kept secret, making it first if there is none. Made in a private file
    and published by a hard link, so no process ever reads a half-written secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it a moment ago: theirs counts
        finally:
            draft.unlink()
    secret = path.read_text().strip().encode()
    if len(secret) < _MIN_BYTES:
        raise ValueError(f"{path} holds no usable secret; delete it and start again")
    return secret
