"""Fakes of Microsoft Graph and Cloudflare for tests/test_adopt.py: a tenant and account made by hand.

They answer the list calls `make adopt` makes the way the services do: Graph `$filter`
(`displayName eq '...'`, `appId eq '...'`, `clientId eq '...' and resourceId eq '...'`) with
`@odata.nextLink` paging, Cloudflare list endpoints paged with `result_info`; 401 without the
right bearer token, 403 without the permission a call needs (Graph's error body, Cloudflare's
`{"success": false, "errors": [...]}`). Identifiers, tokens and the sign-in credential come from
tests/verify_fakes.py, so both command tests share one fake world.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
import respx
from harness import FIXTURES
from schema_fakes import FakeSchemaGraph
from verify_fakes import ACCOUNT_ID, CLOUDFLARE, CLOUDFLARE_TOKEN, GRAPH, GRAPH_TOKEN

from components.constants import (
    DEFAULT_ACCESS_APP_ROLE_ID,
    MICROSOFT_GRAPH_APP_ID,
    NON_GALLERY_TEMPLATE_ID,
    NON_GALLERY_USER_APP_ROLE_ID,
)

LOGIN_APP = "a0000000-0000-4000-8000-0000000000a1"
LOGIN_CLIENT_ID = "c11e0000-0000-4000-8000-0000000000c1"
LOGIN_SP = "5e000000-0000-4000-8000-000000000051"
GRAPH_SP = "9a0b7c6d-0000-4000-8000-0000000064a7"
GRANT_ID = "dGhpcy1pcy1hLWdyYW50LWlkLWZvci10ZXN0cw"
SCIM_APP = "5ca00000-0000-4000-8000-0000000005ca"
SCIM_CLIENT_ID = "c11e0000-0000-4000-8000-0000000005c2"
SCIM_SP = "5c000000-0000-4000-8000-0000000005c1"
JOB_ID = "scim.0a1b2c3d4e5f.7e5a1c2b-0000-4000-8000-00000000a11d"
USERS_GROUP = "6a000000-0000-4000-8000-000000000061"
ADMINS_GROUP = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"
IDP_ID = "1d000000-0000-4000-8000-0000000001d1"
ENGINEERS_ID = "ac000000-0000-4000-8000-0000000000ac"
ADMINS_ID = "ac000000-0000-4000-8000-0000000000ad"
KEY_ID = "4e000000-0000-4000-8000-0000000000e1"

# The dev fixture stack's names, with its defaults derived from the stack name.
USERS_NAME = "Cloudflare Access Dev Users"
LOGIN_NAME = "Cloudflare Access (dev)"
SCIM_NAME = "Cloudflare Access SCIM (dev)"
IDP_NAME = "Entra ID (dev)"

# Which Graph permissions let a call through (a broader one includes a narrower one).
GRAPH_PERMISSIONS = {
    "Application.Read.All": {"Application.Read.All", "Directory.Read.All"},
    "Directory.Read.All": {"Directory.Read.All", "DelegatedPermissionGrant.Read.All"},
    "Synchronization.Read.All": {"Synchronization.Read.All"},
    "Group.Read.All": {"Group.Read.All", "Directory.Read.All"},
}
ALL_GRAPH_PERMISSIONS = frozenset(
    {"Application.Read.All", "Directory.Read.All", "Synchronization.Read.All", "Group.Read.All"}
)


def filled_dev_stack(root: Path) -> Path:
    """The dev fixture stack file copied under `root`, its placeholders filled with fake values."""
    text = (FIXTURES / "stacks" / "Pulumi.dev.yaml").read_text()
    values = {
        "cloudflareAccountId": ACCOUNT_ID,
        "teamName": "acme-test",
        "Dev Admins": ADMINS_GROUP,
    }
    for key, value in values.items():
        text, count = re.subn(
            rf"^(\s*(?:entra-cloudflare:)?{re.escape(key)}:) <[^<>]+>$", rf"\g<1> {value}", text, flags=re.M
        )
        assert count == 1, f"the dev stack file no longer has a placeholder for {key}"
    assert "<" not in text, "the dev stack file has a placeholder these fakes do not fill"
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(text)
    return path


def _graph_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def _filter(request: httpx.Request) -> dict[str, str]:
    """`a eq 'x' and b eq 'y'` -> {a: x, b: y}; the only filter shape the command uses."""
    text = parse_qs(request.url.query.decode()).get("$filter", [""])[0]
    return {key: value.replace("''", "'") for key, value in re.findall(r"(\w+) eq '((?:[^']|'')*)'", text)}


@dataclass
class FakeHandMadeSetup:
    """A setup made by hand, as the guide leads to; tests change one thing at a time."""

    graph_permissions: set[str] = field(default_factory=lambda: set(ALL_GRAPH_PERMISSIONS))
    cloudflare_can_read: bool = True
    applications: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": LOGIN_APP, "appId": LOGIN_CLIENT_ID, "displayName": LOGIN_NAME},
            {"id": SCIM_APP, "appId": SCIM_CLIENT_ID, "displayName": SCIM_NAME},
        ]
    )
    service_principals: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": LOGIN_SP, "appId": LOGIN_CLIENT_ID, "displayName": LOGIN_NAME, "applicationTemplateId": None},
            {
                "id": SCIM_SP,
                "appId": SCIM_CLIENT_ID,
                "displayName": SCIM_NAME,
                "applicationTemplateId": NON_GALLERY_TEMPLATE_ID,
            },
            {"id": GRAPH_SP, "appId": MICROSOFT_GRAPH_APP_ID, "displayName": "Microsoft Graph"},
        ]
    )
    grants: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "cGVyLXVzZXItZ3JhbnQ", "clientId": LOGIN_SP, "resourceId": GRAPH_SP, "consentType": "Principal"},
            {"id": GRANT_ID, "clientId": LOGIN_SP, "resourceId": GRAPH_SP, "consentType": "AllPrincipals"},
        ]
    )
    groups: list[dict[str, Any]] = field(default_factory=lambda: [{"id": USERS_GROUP, "displayName": USERS_NAME}])
    assignments: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            LOGIN_SP: [
                {
                    "id": "dXNlci1hc3NpZ25tZW50",
                    "principalId": "0e000000-0000-4000-8000-0000000000e0",
                    "principalType": "User",
                    "appRoleId": DEFAULT_ACCESS_APP_ROLE_ID,
                },
                {
                    "id": "bG9naW4tdXNlcnMtZ3JvdXA",
                    "principalId": USERS_GROUP,
                    "principalType": "Group",
                    "appRoleId": DEFAULT_ACCESS_APP_ROLE_ID,
                },
            ],
            SCIM_SP: [
                {
                    "id": "c2NpbS11c2Vycy1ncm91cA",
                    "principalId": USERS_GROUP,
                    "principalType": "Group",
                    "appRoleId": NON_GALLERY_USER_APP_ROLE_ID,
                },
            ],
        }
    )
    jobs: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {SCIM_SP: [{"id": JOB_ID, "templateId": "scim", "status": {"code": "Active"}}]}
    )
    password_credentials: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "keyId": KEY_ID,
                "displayName": "made by hand for Cloudflare",
                "endDateTime": "2027-06-01T00:00:00Z",
                "secretText": None,
            }
        ]
    )
    identity_providers: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "1d000000-0000-4000-8000-00000000000f", "name": "GitHub", "type": "github"},
            {"id": IDP_ID, "name": IDP_NAME, "type": "azureAD", "config": {"client_secret": "**********"}},
        ]
    )
    access_groups: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": ENGINEERS_ID, "name": "Dev Engineers"},
            {"id": ADMINS_ID, "name": "Dev Admins"},
            {"id": "ac000000-0000-4000-8000-0000000000ae", "name": "Contractors"},
        ]
    )
    page_size: int = 1  # small, so every Graph list and Cloudflare list is paged
    requests: list[httpx.Request] = field(default_factory=list)
    # The provisioning job's schema and its template's (Microsoft's defaults until a test edits one).
    job_schema: FakeSchemaGraph = field(default_factory=FakeSchemaGraph)

    # --- helpers ----------------------------------------------------------------------------------

    def _graph_denied(self, request: httpx.Request, permission: str) -> httpx.Response | None:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {GRAPH_TOKEN}":
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if not GRAPH_PERMISSIONS[permission] & self.graph_permissions:
            return _graph_error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return None

    def _graph_page(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        skip = int(parse_qs(request.url.query.decode()).get("$skiptoken", ["0"])[0])
        body: dict[str, Any] = {"value": items[skip : skip + self.page_size]}
        if skip + self.page_size < len(items):
            query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items() if k != "$skiptoken"}
            query["$skiptoken"] = str(skip + self.page_size)
            encoded = "&".join(f"{key}={quote(value)}" for key, value in query.items())
            body["@odata.nextLink"] = f"{GRAPH}{request.url.path.removeprefix('/v1.0')}?{encoded}"
        return httpx.Response(200, json=body)

    def _graph_list(self, permission: str, source: Callable[..., list[dict[str, Any]]], keys: tuple[str, ...]) -> Any:
        def handler(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            denied = self._graph_denied(request, permission)
            if denied:
                return denied
            items = source(**kwargs)
            wanted = _filter(request)
            assert set(wanted) <= set(keys), f"unexpected $filter {wanted} on {request.url.path}"
            return self._graph_page(request, [i for i in items if all(i.get(k) == v for k, v in wanted.items())])

        return handler

    def _application(self, request: httpx.Request, object_id: str, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Application.Read.All")
        if denied:
            return denied
        if not any(app["id"] == object_id for app in self.applications):
            return _graph_error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        return httpx.Response(200, json={"id": object_id, "passwordCredentials": self.password_credentials})

    def _cloudflare_list(self, source: Callable[[], list[dict[str, Any]]]) -> Any:
        def handler(request: httpx.Request, **_: Any) -> httpx.Response:
            self.requests.append(request)
            if request.headers.get("Authorization") != f"Bearer {CLOUDFLARE_TOKEN}":
                return httpx.Response(
                    401, json={"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
                )
            if not self.cloudflare_can_read:
                return httpx.Response(
                    403, json={"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
                )
            page = int(request.url.params.get("page", "1"))
            everything = source()
            items = everything[(page - 1) * self.page_size : page * self.page_size]
            pages = max(1, -(-len(everything) // self.page_size))
            info = {
                "page": page,
                "per_page": self.page_size,
                "count": len(items),
                "total_count": len(everything),
                "total_pages": pages,
            }
            return httpx.Response(
                200, json={"success": True, "errors": [], "messages": [], "result": items, "result_info": info}
            )

        return handler

    def install(self, router: respx.MockRouter) -> None:
        # One set of granted permissions for every Graph call, the schema's included.
        self.job_schema.permissions = self.graph_permissions
        self.job_schema.install(router)
        graph = re.escape(GRAPH)
        query = r"(\?.*)?$"
        routes = [
            (
                rf"^{graph}/applications{query}",
                self._graph_list("Application.Read.All", lambda: self.applications, ("displayName",)),
            ),
            (rf"^{graph}/applications/(?P<object_id>[^/?]+){query}", self._application),
            (
                rf"^{graph}/servicePrincipals{query}",
                self._graph_list("Application.Read.All", lambda: self.service_principals, ("appId",)),
            ),
            (
                rf"^{graph}/servicePrincipals/(?P<sp>[^/?]+)/appRoleAssignedTo{query}",
                self._graph_list("Application.Read.All", lambda sp: self.assignments.get(sp, []), ()),
            ),
            (
                rf"^{graph}/servicePrincipals/(?P<sp>[^/?]+)/synchronization/jobs{query}",
                self._graph_list("Synchronization.Read.All", lambda sp: self.jobs.get(sp, []), ()),
            ),
            (
                rf"^{graph}/oauth2PermissionGrants{query}",
                self._graph_list("Directory.Read.All", lambda: self.grants, ("clientId", "resourceId")),
            ),
            (rf"^{graph}/groups{query}", self._graph_list("Group.Read.All", lambda: self.groups, ("displayName",))),
        ]
        for pattern, handler in routes:
            router.route(method="GET", url__regex=pattern).mock(side_effect=handler)
        access = re.escape(f"{CLOUDFLARE}/accounts/{ACCOUNT_ID}/access")
        router.route(method="GET", url__regex=rf"^{access}/identity_providers{query}").mock(
            side_effect=self._cloudflare_list(lambda: self.identity_providers)
        )
        router.route(method="GET", url__regex=rf"^{access}/groups{query}").mock(
            side_effect=self._cloudflare_list(lambda: self.access_groups)
        )
