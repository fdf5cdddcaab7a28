from __future__ import annotations

import pytest
from argon2 import PasswordHasher, profiles

from core.users import passwords


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2's cheapest parameters: the same code path, a thousandth of the work."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
