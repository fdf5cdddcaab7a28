"""Which addresses count as public (core.netguard): an IPv6 address that carries an IPv4 one
is judged by the IPv4 one, so NAT64, 6to4 and the IPv4-compatible form cannot reach inside
the network, while their public counterparts stay usable."""

from __future__ import annotations

import pytest

from core.netguard import is_public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("10.0.0.5", False),
        ("::ffff:10.0.0.5", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::a00:5", False),  # NAT64 of 10.0.0.5
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("::a9fe:a9fe", False),  # IPv4-compatible 169.254.169.254
        ("::1", False),
        ("2606:4700::1111", True),
        ("fe80::1%eth0", False),
        ("ff02::1", False),
        ("not an address", False),
    ],
)
def test_an_address_is_public_only_if_what_it_reaches_is(address: str, public: bool) -> None:
    assert is_public(address) is public
