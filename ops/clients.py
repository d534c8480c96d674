"""One small REST client for Microsoft Graph, the Entra token endpoint and the Cloudflare API.

Shared by `ops.verify` (make verify) and the adoption command. For every call it:
- retries 429 (honouring `Retry-After`), transient 5xx, refused connections and timeouts with
  bounded backoff; the sleep is injectable so tests run instantly. A certificate or DNS failure is
  not retried: it becomes a `NetworkError` naming the host and the cause at once;
- follows paging: Graph `@odata.nextLink`, Cloudflare `result_info` (page / total_pages);
- turns 401 and 403 into `PermissionDeniedError`, naming the permission the caller says the call needs;
- parses each service's error body (Graph `{"error": {code, message}}`, Cloudflare
  `{"success": false, "errors": [{code, message}]}`, the token endpoint's `error_description`)
  into `ApiError`;
- never puts a token or secret in an exception message, log line or repr: tokens live in
  `Secret` objects, and every error text is scrubbed (of the values the client has used and of
  anything shaped like a token) before it is shortened.

All calls are async (httpx.AsyncClient), so independent ones run concurrently.
"""

from __future__ import annotations

import asyncio
import builtins
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, Protocol
from urllib.parse import urlsplit

import httpx

from ops.credentials import CA_BUNDLE_ENV
from ops.permissions import Permission
from ops.redaction import Secret, quoted, shorten

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ApiError(Exception):
    """A call that failed for good: status (None for a network error), the service's code and message."""

    def __init__(
        self,
        service: str,
        method: str,
        path: str,
        status: int | None,
        code: str | None,
        message: str,
    ) -> None:
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        # Which of its caller's shared calls failed (ops.verify names the check that owns it).
        self.call: str | None = None
        super().__init__(self.describe())

    def describe(self) -> str:
        status = f"{self.status}" if self.status is not None else "no response"
        code = f" {self.code}" if self.code else ""
        return f"{self.service} {self.method} {self.path}: {status}{code}: {self.message}"


class PermissionDeniedError(ApiError):
    """401 or 403: the message names the permission the call needs."""

    def __init__(self, service: str, method: str, path: str, status: int, code: str | None, message: str, needs: str):
        self.needs = needs
        super().__init__(service, method, path, status, code, message)

    def describe(self) -> str:
        what = "refused the credentials (401)" if self.status == 401 else "refused the call (403)"
        return f"{self.service} {what} for {self.method} {self.path}: it needs {self.needs} ({self.message})"


class NotFoundError(ApiError):
    """404: the object does not exist (or is not visible to these credentials)."""


class NetworkCause(StrEnum):
    """Why no answer came, in the words an operator acts on."""

    CERTIFICATE = "its TLS certificate is not trusted"
    DNS = "its name does not resolve (DNS)"
    CONNECT = "the connection failed"
    TIMEOUT = "it did not answer in time"


RETRIED_CAUSES: Final = frozenset({NetworkCause.CONNECT, NetworkCause.TIMEOUT})

# Words of the resolver and TLS errors, for exceptions that carry only text (a wrapped error).
_DNS_WORDS: Final = (
    "getaddrinfo",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "name resolution",
)
_CERTIFICATE_WORDS: Final = ("certificate_verify_failed", "certificate verify failed", "self-signed certificate")


def _chain(error: BaseException) -> list[BaseException]:
    """The error and every error behind it (`raise from`, azure-core's `inner_exception`, urllib3's `reason`)."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        link = pending.pop()
        if link is None or any(link is known for known in seen):
            continue
        seen.append(link)
        pending += [link.__cause__, link.__context__]
        for attribute in ("inner_exception", "reason"):
            behind = getattr(link, attribute, None)
            if isinstance(behind, BaseException):
                pending.append(behind)
        pending += [arg for arg in link.args if isinstance(arg, BaseException)]
    return seen


def network_cause(error: BaseException) -> tuple[NetworkCause, str] | None:
    """(cause, detail) when `error` is a failure to reach a host, else None."""
    chain = _chain(error)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return NetworkCause.CERTIFICATE, str(link.verify_message or link.reason or link)
    for link in chain:
        if isinstance(link, socket.gaierror):
            return NetworkCause.DNS, str(link.strerror or link)
    for cause, words in ((NetworkCause.CERTIFICATE, _CERTIFICATE_WORDS), (NetworkCause.DNS, _DNS_WORDS)):
        for link in chain:
            if any(word in str(link).lower() for word in words):
                return cause, shorten(str(link), 160)
    for link in chain:
        # urllib3's timeouts (under azure-identity) are not the built-in TimeoutError: known by text.
        if isinstance(link, httpx.TimeoutException | TimeoutError) or "timed out" in str(link).lower():
            return NetworkCause.TIMEOUT, type(link).__name__
    for link in chain:
        if isinstance(link, ConnectionRefusedError) or "connection refused" in str(link).lower():
            return NetworkCause.CONNECT, "connection refused"
    for link in chain:
        if isinstance(link, httpx.TransportError | ConnectionError | ssl.SSLError):
            return NetworkCause.CONNECT, shorten(str(link), 120) or type(link).__name__
    return None


def unreachable_text(host: str, cause: NetworkCause, detail: str) -> str:
    """One line naming the host and why it could not be reached; never a verdict on a check."""
    text = f"cannot reach {host}: {cause.value} ({detail})"
    if cause is NetworkCause.CERTIFICATE:
        text += (
            f"; if a proxy inspects TLS, set {CA_BUNDLE_ENV} to its CA bundle (docs/verify.md, "
            "Network, proxies and TLS)"
        )
    return text


class NetworkError(ApiError):
    """No answer at all: the host could not be reached (certificate, DNS, connection, timeout)."""

    def __init__(self, service: str, method: str, path: str, host: str, cause: NetworkCause, detail: str):
        self.host = host
        self.cause = cause
        self.detail = detail
        super().__init__(service, method, path, None, None, unreachable_text(host, cause, detail))

    def describe(self) -> str:
        return self.message


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most `attempts` tries and `total_delay` seconds of sleep per call."""

    attempts: int = 5
    # A refused connection or a timeout is worth fewer tries than a throttled answer.
    network_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 10.0
    total_delay: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter, so concurrent callers do not retry in lockstep."""
        delay: float = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)


def retry_after_seconds(
    response: httpx.Response, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now()).total_seconds())


class TokenProvider(Protocol):
    async def __call__(self) -> Secret: ...

    def known_values(self) -> list[str]: ...


class StaticToken:
    """A fixed bearer token, e.g. CLOUDFLARE_API_TOKEN."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    async def __call__(self) -> Secret:
        return self._token

    def known_values(self) -> list[str]:
        return [self._token.reveal()]

    def __repr__(self) -> str:
        return "StaticToken(***)"


class SyncTokenCredential(Protocol):
    """What azure-identity's sync credentials provide (azure.core.credentials.TokenCredential)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class CredentialToken:
    """Bearer tokens from a sync azure-identity credential, fetched in a thread and cached.

    azure.identity.aio would need aiohttp, which this project does not install; the sync
    credentials run in a worker thread instead. One lock, so concurrent first calls sign in once.
    """

    # Refresh this long before expiry, so a token never runs out in the middle of a run.
    REFRESH_MARGIN_SECONDS = 300

    def __init__(self, credential: SyncTokenCredential, scope: str) -> None:
        self._credential = credential
        self._scope = scope
        self._token: Secret | None = None
        self._expires_on = 0.0
        self._lock = asyncio.Lock()
        self._issued: list[str] = []

    async def __call__(self) -> Secret:
        async with self._lock:
            if self._token is None or time.time() > self._expires_on - self.REFRESH_MARGIN_SECONDS:
                access = await asyncio.to_thread(self._credential.get_token, self._scope)
                self._token = Secret(access.token)
                self._expires_on = float(access.expires_on)
                self._issued.append(access.token)
            return self._token

    def known_values(self) -> list[str]:
        return list(self._issued)

    def __repr__(self) -> str:
        return f"CredentialToken(scope={self._scope!r})"


class RestClient:
    """Shared transport logic; `GraphClient`, `CloudflareClient` and `EntraLoginClient` add each API's shape."""

    service: ClassVar[str]  # how errors name the API

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: TokenProvider | None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry or RetryPolicy()
        # Extra values to scrub from error text (e.g. a client secret sent in a form body).
        self.secrets: list[Secret] = []

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.base_url}/{path.lstrip('/')}"

    def quote(self, text: str) -> str:
        """A service's text for a message: scrubbed of the values this client used, then shortened."""
        values = [secret.reveal() for secret in self.secrets]
        if self.token is not None:
            values += self.token.known_values()
        return quoted(text, values)

    def needs_text(self, permission: Permission | str) -> str:
        return str(permission)

    def parse_error(self, body: Any) -> tuple[str | None, str]:
        """(code, whole message) from an error body; subclasses know their service's shape."""
        return None, ""

    def _error(self, response: httpx.Response, method: str, path: str, permission: Permission | str) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        code, message = self.parse_error(body)
        message = self.quote(message or response.reason_phrase or "error")
        if response.status_code in (401, 403):
            return PermissionDeniedError(
                self.service, method, path, response.status_code, code, message, self.needs_text(permission)
            )
        error_type = NotFoundError if response.status_code == 404 else ApiError
        return error_type(self.service, method, path, response.status_code, code, message)

    async def request(
        self,
        method: str,
        path: str,
        *,
        permission: Permission | str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call, retried when the service says so; raises ApiError (or a subclass) on failure."""
        url = self.url(path)
        shown = urlsplit(url).path  # error messages name the path only, never a query or host secret
        slept = 0.0
        for attempt in range(1, self.retry.attempts + 1):
            headers = {"Accept": "application/json"}
            if self.token is not None:
                headers["Authorization"] = f"Bearer {(await self.token()).reveal()}"
            try:
                response = await self.http.request(method, url, params=params, json=json, data=data, headers=headers)
            except httpx.TransportError as error:
                cause, detail = network_cause(error) or (NetworkCause.CONNECT, type(error).__name__)
                delay = self.retry.backoff(attempt)
                if (
                    cause not in RETRIED_CAUSES
                    or attempt >= min(self.retry.attempts, self.retry.network_attempts)
                    or slept + delay > self.retry.total_delay
                ):
                    tries = f", {attempt} attempts" if attempt > 1 else ""
                    host = urlsplit(url).netloc
                    raise NetworkError(self.service, method, shown, host, cause, f"{detail}{tries}") from None
                await self.retry.sleep(delay)
                slept += delay
                continue
            if response.status_code in RETRYABLE_STATUS:
                wait = retry_after_seconds(response)
                if wait is None:
                    wait = self.retry.backoff(attempt)
                if attempt < self.retry.attempts and slept + wait <= self.retry.total_delay:
                    await self.retry.sleep(wait)
                    slept += wait
                    continue
                failure = self._error(response, method, shown, permission)
                failure.message = f"{failure.message} (gave up after {attempt} attempt(s), {slept:.0f} s of waiting)"
                failure.args = (failure.describe(),)
                raise failure
            if response.status_code >= 400:
                raise self._error(response, method, shown, permission)
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class GraphClient(RestClient):
    """Microsoft Graph (v1.0): get / list (follows @odata.nextLink) / post."""

    service = "Microsoft Graph"

    def needs_text(self, permission: Permission | str) -> str:
        return f"the Microsoft Graph permission {permission}"

    def parse_error(self, body: Any) -> tuple[str | None, str]:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return error.get("code"), str(error.get("message") or "")
        return None, ""

    async def get(self, path: str, *, permission: Permission | str, params: Mapping[str, Any] | None = None) -> Any:
        response = await self.request("GET", path, permission=permission, params=params)
        return response.json()

    async def list(
        self, path: str, *, permission: Permission | str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink` page by page."""
        items: list[dict[str, Any]] = []
        next_path: str | None = path
        next_params = params
        while next_path is not None:
            body = await self.get(next_path, permission=permission, params=next_params)
            items.extend(body.get("value") or [])
            link = body.get("@odata.nextLink")
            next_path = self._rebase(link) if link else None
            next_params = None  # the link carries its own query
        return items

    async def post(self, path: str, body: Any, *, permission: Permission | str) -> Any:
        """POST JSON; the parsed response body, or None for 204 No Content."""
        response = await self.request("POST", path, permission=permission, json=body)
        return None if response.status_code == 204 or not response.content else response.json()

    async def find_by_display_name(
        self, collection: str, display_name: str, *, permission: Permission | str, select: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Objects of a collection (`/applications`, `/servicePrincipals`, `/groups`) with this exact name."""
        params = {"$filter": f"displayName eq {odata_string(display_name)}"}
        if select:
            params["$select"] = select
        return await self.list(collection, permission=permission, params=params)

    def _rebase(self, link: str) -> str:
        """A nextLink onto our own base URL: a proxy keeps working, and the token never goes elsewhere."""
        parts = urlsplit(link)
        base = urlsplit(self.base_url)
        path = parts.path
        if base.path and path.startswith(base.path):
            path = path[len(base.path) :]
        else:
            # Graph links carry the version segment (/v1.0/...); drop it, the base URL has its own.
            path = "/" + path.lstrip("/").partition("/")[2]
        return f"{self.base_url}{path}" + (f"?{parts.query}" if parts.query else "")


def odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


class CloudflareClient(RestClient):
    """Cloudflare API v4: get / list (follows result_info pages) / count / post; unwraps `result`."""

    PER_PAGE = 50
    service = "Cloudflare"

    def needs_text(self, permission: Permission | str) -> str:
        return f"an API token (CLOUDFLARE_API_TOKEN) with '{permission}'"

    def parse_error(self, body: Any) -> tuple[str | None, str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            messages = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
            code = first.get("code")
            return (str(code) if code is not None else None), messages
        return None, ""

    async def envelope(
        self,
        method: str,
        path: str,
        *,
        permission: Permission | str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """The whole response body; a 200 with `success: false` is an error too."""
        response = await self.request(method, path, permission=permission, params=params, json=json)
        body = response.json()
        if isinstance(body, dict) and body.get("success") is False:
            code, message = self.parse_error(body)
            raise ApiError(
                self.service, method, urlsplit(self.url(path)).path, response.status_code, code, self.quote(message)
            )
        return body if isinstance(body, dict) else {"result": body}

    async def get(self, path: str, *, permission: Permission | str, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.envelope("GET", path, permission=permission, params=params)).get("result")

    async def post(self, path: str, body: Any, *, permission: Permission | str) -> Any:
        return (await self.envelope("POST", path, permission=permission, json=body)).get("result")

    async def list(
        self, path: str, *, permission: Permission | str, params: Mapping[str, Any] | None = None
    ) -> builtins.list[Any]:
        """Every item of a list endpoint, page by page until `result_info` says there are no more."""
        items: list[Any] = []
        page = 1
        while True:
            query = {**(params or {}), "page": page, "per_page": self.PER_PAGE}
            body = await self.envelope("GET", path, permission=permission, params=query)
            result = body.get("result") or []
            items.extend(result)
            info = body.get("result_info") or {}
            total_pages = info.get("total_pages")
            if total_pages is not None:
                if page >= int(total_pages):
                    return items
            elif len(result) < int(info.get("per_page") or self.PER_PAGE):
                return items
            if not result:
                return items
            page += 1

    async def count(self, path: str, *, permission: Permission | str, params: Mapping[str, Any] | None = None) -> int:
        """How many items a list endpoint holds: `result_info.total_count` when given, else by paging."""
        body = await self.envelope(
            "GET", path, permission=permission, params={**(params or {}), "page": 1, "per_page": self.PER_PAGE}
        )
        total = (body.get("result_info") or {}).get("total_count")
        if total is not None:
            return int(total)
        return len(await self.list(path, permission=permission, params=params))


class EntraLoginClient(RestClient):
    """The Entra token endpoint (`<login>/<tenant>/oauth2/v2.0/token`), for credential checks."""

    service = "Microsoft Entra sign-in"

    def __init__(self, http: httpx.AsyncClient, base_url: str, retry: RetryPolicy | None = None) -> None:
        super().__init__(http, base_url, None, retry)

    def parse_error(self, body: Any) -> tuple[str | None, str]:
        if isinstance(body, dict):
            return body.get("error"), str(body.get("error_description") or "")
        return None, ""

    async def client_credentials(self, tenant_id: str, client_id: str, client_secret: Secret, scope: str) -> None:
        """Ask for an app-only token with this client ID and secret; returns when Entra issues one.

        The token itself is dropped at once: the caller only wants to know the pair is valid.
        """
        self.secrets = [*self.secrets, client_secret]
        await self.request(
            "POST",
            f"/{tenant_id}/oauth2/v2.0/token",
            permission="a valid client ID and secret",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret.reveal(),
                "scope": scope,
            },
        )
