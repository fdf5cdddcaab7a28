"""Reading request bodies safely: whatever arrives becomes a 4xx problem, never a 500.

Bodies are small JSON objects (the chat's message, the API's requests), so a
body that is not UTF-8, not JSON, or nested deeper than any of ours ever is,
is refused before anything looks at it. :class:`SafeJSON` is the app's JSON
provider, so ``request.get_json`` (and quart-schema's validation, which uses
it) refuses a deep body as bad JSON instead of dying of a ``RecursionError``.
"""

from __future__ import annotations

from typing import Any

from quart import Quart, current_app, request
from quart.json.provider import DefaultJSONProvider, JSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["MAX_DEPTH", "BadBody", "SafeJSON", "read_json"]

MAX_DEPTH = 32
"""Levels of arrays and objects a body may have; ours have three at most."""


class SafeJSON(DefaultJSONProvider):
    """The app's JSON provider (``inner``, e.g. quart-schema's, which writes pydantic models)
    with reading that refuses (``ValueError``) what is nested too deeply."""

    def __init__(self, app: Quart, inner: JSONProvider) -> None:
        super().__init__(app)
        self._inner = inner

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self._inner.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = self._inner.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
        if _depth(value) > MAX_DEPTH:
            raise ValueError(f"the JSON is nested more than {MAX_DEPTH} levels deep")
        return value


def _depth(value: object) -> int:
    """How many levels of arrays and objects ``value`` has, without recursion."""
    deepest, level = 0, [(value, 0)]
    while level:
        item, depth = level.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_DEPTH:
                return deepest
            level.extend((child, depth + 1) for child in item)
    return deepest


class BadBody(ValueError):
    """The body cannot be read; ``status`` is 400 or 413."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def read_json() -> object:
    """The request's JSON body, or :class:`BadBody` saying what is wrong with it."""
    try:
        raw = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    except RequestEntityTooLarge:
        raise BadBody(413, "the body is too large") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody(400, "the body is not UTF-8 text; send JSON in UTF-8") from None
    try:
        return current_app.json.loads(text)
    except ValueError as error:
        detail = str(error) if "nested" in str(error) else "the body is not valid JSON"
        raise BadBody(400, detail) from None
