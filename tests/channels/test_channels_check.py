"""``slotwise channels check`` (issue 13): one clear line for each channel, asked of its API
base with the real SDK (aiogram's ``getMe``, twilio's account read, slack_sdk's
``auth.test``), and exit 1 when a configured channel does not work.

The command runs its own event loop, so the three APIs are answered from
pytest-httpserver's thread (one server, each API on its own paths).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from slotwise.cli import main
from slotwise.settings import get_settings
from tests.channels.sms.conftest import ACCOUNT, SMS_FROM, WHATSAPP_FROM
from tests.channels.sms.conftest import TOKEN as TWILIO_TOKEN
from tests.channels.sms.fake import FakeTwilio
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.conftest import TOKEN as TELEGRAM_TOKEN

SLACK_TOKEN = "xoxb-check-token"
CHANNEL_SETTINGS = (
    "SLOTWISE_TELEGRAM_TOKEN",
    "SLOTWISE_TELEGRAM_WEBHOOK_SECRET",
    "SLOTWISE_TELEGRAM_API_BASE",
    "SLOTWISE_TWILIO_ACCOUNT_SID",
    "SLOTWISE_TWILIO_AUTH_TOKEN",
    "SLOTWISE_TWILIO_SMS_FROM",
    "SLOTWISE_TWILIO_WHATSAPP_FROM",
    "SLOTWISE_TWILIO_API_BASE",
    "SLOTWISE_SLACK_BOT_TOKEN",
    "SLOTWISE_SLACK_SIGNING_SECRET",
    "SLOTWISE_SLACK_API_BASE",
    "SLOTWISE_PUBLIC_URL",
)


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


@pytest.fixture
def apis(httpserver: HTTPServer) -> HTTPServer:
    """Telegram's ``getMe`` (only for :data:`TELEGRAM_TOKEN`), Twilio's account and
    Slack's ``auth.test`` (only for :data:`SLACK_TOKEN`)."""

    def get_me(request: Request) -> Response:
        if request.path != f"/bot{TELEGRAM_TOKEN}/getMe":
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        bot = {"id": 1, "is_bot": True, "first_name": "Slotwise", "username": "slotwise_bot"}
        return _json({"ok": True, "result": bot})

    def auth_test(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {SLACK_TOKEN}":
            return _json({"ok": False, "error": "invalid_auth"})
        return _json({"ok": True, "team": "Slotwise Test", "user": "slotwise"})

    httpserver.expect_request(re.compile(r"^/bot[^/]+/getMe$")).respond_with_handler(get_me)
    httpserver.expect_request("/api/auth.test").respond_with_handler(auth_test)
    FakeTwilio(httpserver, ACCOUNT, TWILIO_TOKEN)
    return httpserver


def check(monkeypatch: pytest.MonkeyPatch, **env: str) -> Result:
    for name in CHANNEL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["channels", "check"])
    finally:
        get_settings.cache_clear()


def configured(apis: HTTPServer, **wrong: str) -> dict[str, str]:
    base = apis.url_for("/").rstrip("/")
    return {
        "SLOTWISE_PUBLIC_URL": "https://book.example",
        "SLOTWISE_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "SLOTWISE_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "SLOTWISE_TELEGRAM_API_BASE": base,
        "SLOTWISE_TWILIO_ACCOUNT_SID": ACCOUNT,
        "SLOTWISE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "SLOTWISE_TWILIO_SMS_FROM": SMS_FROM,
        "SLOTWISE_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "SLOTWISE_TWILIO_API_BASE": base,
        "SLOTWISE_SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLOTWISE_SLACK_SIGNING_SECRET": "check-signing-secret",
        "SLOTWISE_SLACK_API_BASE": f"{base}/api/",
        **wrong,
    }


def test_every_configured_channel_gets_a_line_saying_it_works(
    apis: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = check(monkeypatch, **configured(apis))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "telegram: works, as @slotwise_bot",
        "sms/whatsapp: works: sms and whatsapp on; point Twilio's webhooks at "
        "https://book.example/twilio/sms, https://book.example/twilio/whatsapp",
        "Slack: works (bot slotwise in team Slotwise Test)",
    ]


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("SLOTWISE_TELEGRAM_TOKEN", "123456:wrong-token", "telegram: FAILED: the Bot API refused"),
        ("SLOTWISE_TWILIO_AUTH_TOKEN", "wrong", "sms/whatsapp: FAILED: Twilio refused"),
        ("SLOTWISE_SLACK_BOT_TOKEN", "xoxb-wrong", "Slack: FAILED: auth.test at"),
    ],
)
def test_a_channel_whose_credentials_fail_says_so_and_the_others_still_answer(
    apis: HTTPServer, monkeypatch: pytest.MonkeyPatch, setting: str, value: str, says: str
) -> None:
    result = check(monkeypatch, **configured(apis, **{setting: value}))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3, result.output
    (failed,) = [line for line in lines if "FAILED" in line]
    assert failed.startswith(says), failed
    assert sum(": works" in line for line in lines) == 2


def test_channels_not_configured_are_off_and_no_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(monkeypatch)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3, result.output
    assert lines[0].startswith("telegram: off")
    assert lines[1].startswith("sms/whatsapp: off")
    assert lines[2] == "Slack: not configured"
