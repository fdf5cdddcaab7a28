"""Verification codes: six digits, an expiry, a few tries, the code itself never kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.verification import MAX_ATTEMPTS, TTL, check, issue

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
KEY = b"server-secret"
PHONE = "+4915112345678"


def test_a_code_is_six_digits_and_not_kept() -> None:
    code, pending = issue(PHONE, KEY, NOW, randbelow=lambda _: 7)
    assert code == "000007"
    assert code not in repr(pending)
    assert pending.expires_at == NOW + TTL


def test_the_right_code_confirms_once() -> None:
    code, pending = issue(PHONE, KEY, NOW)
    assert check(pending, f"{code[:3]} {code[3:]}", KEY, NOW) == ("confirmed", None)


def test_a_code_for_another_number_or_key_does_not_confirm() -> None:
    code, pending = issue(PHONE, KEY, NOW)
    _, other = issue("+4915100000000", KEY, NOW)
    assert check(other, code, KEY, NOW)[0] != "confirmed" or other.digest == pending.digest
    assert check(pending, code, b"another", NOW)[0] == "wrong"


def test_wrong_codes_use_up_the_tries() -> None:
    _code, pending = issue(PHONE, KEY, NOW, randbelow=lambda _: 1)
    current = pending
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        result, next_pending = check(current, "999999", KEY, NOW)
        assert result == "wrong"
        assert next_pending is not None
        assert next_pending.attempts_left == left
        current = next_pending
    assert check(current, "999999", KEY, NOW) == ("exhausted", None)


def test_an_expired_code_does_not_confirm() -> None:
    code, pending = issue(PHONE, KEY, NOW)
    assert check(pending, code, KEY, NOW + TTL) == ("expired", None)
    assert check(pending, code, KEY, NOW + TTL - timedelta(seconds=1))[0] == "confirmed"


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        issue(PHONE, KEY, datetime(2026, 1, 1))  # noqa: DTZ001
