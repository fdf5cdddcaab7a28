"""A local Twilio REST API: the real ``twilio`` client sends to it, it records what came.

It speaks what ``messages.create`` needs: ``POST /2010-04-01/Accounts/{sid}/Messages.json``
(and ``GET /2010-04-01/Accounts/{sid}.json`` for ``slotwise channels check``)
(form ``To``, ``From``, ``Body``; HTTP Basic auth with the account and token), answered
with a message resource (201), or with Twilio's error body when a failure is set for
the recipient (``{"code": 21610, ...}`` for a number that answered STOP).
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

__all__ = ["FakeTwilio", "Sent"]


@dataclass(frozen=True, slots=True)
class Sent:
    to: str
    from_: str
    body: str


@dataclass
class FakeTwilio:
    server: HTTPServer
    account_sid: str
    auth_token: str
    sent: list[Sent] = field(default_factory=list)
    failures: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Recipient → (HTTP status, Twilio error code) to answer instead of sending."""
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        self.server.expect_request(path, method="POST").respond_with_handler(self._create)
        account = f"/2010-04-01/Accounts/{self.account_sid}.json"
        self.server.expect_request(account, method="GET").respond_with_handler(self._account)

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _account(self, request: Request) -> Response:
        """``GET /2010-04-01/Accounts/{sid}.json``: the account, for the credentials check."""
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        body = {"sid": self.account_sid, "status": "active", "friendly_name": "Test"}
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        to, from_, body = (request.form.get(k, "") for k in ("To", "From", "Body"))
        if to in self.failures:
            status, code = self.failures[to]
            return self._error(status, code, f"error {code}")
        self.sent.append(Sent(to, from_, body))
        sid = f"SM{next(self._sids):032x}"
        resource = {"sid": sid, "to": to, "from": from_, "body": body, "status": "queued"}
        return Response(json.dumps(resource), status=201, content_type="application/json")

    def _error(self, status: int, code: int, message: str) -> Response:
        body = {"code": code, "message": message, "status": status}
        return Response(json.dumps(body), status=status, content_type="application/json")
