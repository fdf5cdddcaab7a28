"""Calendar passwords, kept encrypted with ``SLOTWISE_CREDENTIALS_KEY`` (a Fernet key).

A calendar needs its password on every sync, so it cannot be hashed like an API
key; it is encrypted instead, with a key that lives in the settings and not in
the database, so a copy of the database alone does not give the passwords away.
Use an app password (iCloud, Fastmail, Google) rather than the account's own.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from core.errors import CalendarRefused, InvalidRequest

__all__ = ["MAKE_KEY", "Credentials"]

MAKE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class Credentials:
    def __init__(self, key: str | None) -> None:
        self._fernet: Fernet | None = None
        if key:
            try:
                self._fernet = Fernet(key.encode())
            except ValueError:
                raise InvalidRequest(
                    "SLOTWISE_CREDENTIALS_KEY is not a Fernet key (32 url-safe base64 bytes); "
                    f"make one with: {MAKE_KEY}",
                    field="SLOTWISE_CREDENTIALS_KEY",
                ) from None

    def seal(self, password: str) -> str:
        if not password:
            raise InvalidRequest("the password is empty", field="password")
        return self._key().encrypt(password.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._key().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise CalendarRefused(
                "the stored password cannot be read with this SLOTWISE_CREDENTIALS_KEY "
                "(was the key changed?): connect the calendar again"
            ) from None

    def _key(self) -> Fernet:
        if self._fernet is None:
            raise InvalidRequest(
                "connecting a calendar needs SLOTWISE_CREDENTIALS_KEY (a Fernet key, which "
                f"encrypts the calendar passwords); make one with: {MAKE_KEY}",
                field="SLOTWISE_CREDENTIALS_KEY",
            )
        return self._fernet
