"""What the ops commands never print: secrets wrapped so that they never show themselves, and
the scrubbing every quoted response goes through before it is shortened into a message.

No HTTP here (ops/clients.py is the REST client): the checks behind every make command
(ops/needs.py) use it without loading an HTTP stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus

# How long a quoted response may be in a message, counted after secrets were scrubbed.
MESSAGE_LIMIT: Final = 300


class Secret:
    """A secret string that never shows itself in str(), repr() or f-strings; `reveal()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


# What a secret looks like when a service echoes one the client never knew (a token Entra issued,
# a signed assertion): scrubbed by shape, in addition to the known values.
_SECRET_SHAPES: Final = (
    # A JWT: base64url JSON header ("eyJ"), payload and signature, dot-separated.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?"), "***"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    # A form field or JSON member that carries a credential: `client_secret=...`, `"access_token": "..."`.
    (
        re.compile(
            r"(?i)\b((?:client_secret|client_assertion|access_token|refresh_token|id_token|secrettoken|"
            r"password|assertion)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}\\]+"
        ),
        r"\1***",
    ),
)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every given secret value (also URL-encoded) and anything shaped like a token
    replaced by ***; a guard for every message that can quote a response."""
    values = {form for value in secrets if value for form in (value, quote_plus(value), quote(value, safe=""))}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "***")
    for shape, replacement in _SECRET_SHAPES:
        text = shape.sub(replacement, text)
    return text


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first line of `text`, at most `limit` characters. Only ever on scrubbed text: a cut
    through a secret would leave a piece that no longer matches its value."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def quoted(text: str, secrets: Iterable[str], limit: int = MESSAGE_LIMIT) -> str:
    """A response's text made fit for a message: scrubbed first, then shortened."""
    return shorten(scrub(text, secrets), limit)
