"""The address a request comes from: only a trusted proxy's word is taken."""

from __future__ import annotations

import re

import pytest

from channels.clients import client_address, parse_networks

PROXY = parse_networks("10.0.0.0/8, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", [], "203.0.113.9"),
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not from a proxy: not believed
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),  # the left part is the client's
        ("10.0.0.2", ["1.1.1.1, 198.51.100.1, 10.0.0.3"], "198.51.100.1"),  # two proxies
        ("10.0.0.2", ["1.1.1.1", "198.51.100.1"], "198.51.100.1"),  # two headers
        ("10.0.0.2", ["garbage"], "10.0.0.2"),
        ("::1", ["2001:db8::1"], "2001:db8::1"),
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, PROXY) == expected


def test_a_bad_trusted_proxy_names_itself() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300'")):
        parse_networks("10.0.0.1, 10.0.0.300")
