from __future__ import annotations

import pytest
from argon2 import PasswordHasher, profiles

from core.users import passwords


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2's cheapest parameters: the same code path, a thousandth of the work."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture(autouse=True)
def sealing_key() -> None:
    """TOTP keys are sealed at rest; the server gives its secret at start, tests here."""
    from core.sealed import use_secret

    use_secret(b"a test server secret of enough length")
