"""Fakes of Microsoft Graph, the Entra token endpoint, Cloudflare and the Pulumi CLI for ops/ tests.

They behave like the real services where verify depends on it, and refuse what those refuse:
401 without the right bearer token, 403 without the permission a call needs, Graph paging with
`@odata.nextLink`, Cloudflare's `{"success": false, "errors": [...]}`, 429 with `Retry-After`,
a transient 503, 204 from validateCredentials, 400 when the saved SCIM token is wrong, 404 under
a deleted job or login method, and redacted secrets in Cloudflare's answers. A restarted job
keeps its last run until a new cycle runs, as Graph's does. Shared by tests/test_verify.py and
scripts/benchmark_verify.py (which adds latency per call).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from harness import ACCOUNT_ID, GRAPH_SCOPE_TABLE, TENANT_ID

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
CLOUDFLARE = "https://api.cloudflare.com/client/v4"

# Fake but well-formed identifiers and secrets: never a real tenant, account or credential.
CLIENT_ID = "c11e0000-0000-4000-8000-0000000000c1"
APP_OBJECT_ID = "a0000000-0000-4000-8000-0000000000a1"
LOGIN_SP_ID = "5e000000-0000-4000-8000-000000000051"
GRAPH_SP_ID = "9a0b7c6d-0000-4000-8000-0000000064a7"
SCIM_SP_ID = "5c000000-0000-4000-8000-0000000005c1"
JOB_ID = "scim.0a1b2c3d4e5f.7e5a1c2b-0000-4000-8000-00000000a11d"
IDP_ID = "1d000000-0000-4000-8000-0000000001d1"
ACCESS_GROUP_ID = "ac000000-0000-4000-8000-0000000000ac"
USERS_GROUP_ID = "6a000000-0000-4000-8000-000000000061"
ADMINS_GROUP_ID = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"
KEY_ID = "4e000000-0000-4000-8000-0000000000e1"
TEAM_DOMAIN = "acme-test.cloudflareaccess.com"
REDIRECT_URI = f"https://{TEAM_DOMAIN}/cdn-cgi/access/callback"
SCIM_ENDPOINT = f"https://{TEAM_DOMAIN}/populations/{IDP_ID}/scim/v2"

CLIENT_SECRET = "FAKE~client-secret-value-0123456789abcdef"
SCIM_SECRET = "FAKE-scim-secret-token-fedcba9876543210"
GRAPH_TOKEN = "fake-graph-access-token-eyJ0eXAi"
CLOUDFLARE_TOKEN = "fake-cloudflare-api-token-0123456789"
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 4, 13, 0, 0, tzinfo=UTC)
ROTATES_FROM = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)

# The seven scopes the login app asks for, from the harness's own copy of Graph's scope table
# (written out there, not imported from the code under test).
SEVEN_SCOPES = {name: scope_id for name, scope_id in GRAPH_SCOPE_TABLE.items() if name != "Mail.Read"}
ALL_GRAPH_PERMISSIONS = frozenset(
    {"Application.Read.All", "Directory.Read.All", "Synchronization.Read.All", "Synchronization.ReadWrite.All"}
)

STACK_FILE = f"""config:
  entra-cloudflare:cloudflareAccountId: {ACCOUNT_ID}
  entra-cloudflare:teamName: acme-test
  entra-cloudflare:signInGroups:
    - Cloudflare Users
    - {ADMINS_GROUP_ID}
  entra-cloudflare:scim:
    enabled: true
    userDeprovision: true
    seatDeprovision: false
    identityUpdateBehavior: reauth
  entra-cloudflare:accessGroups:
    Engineers: Cloudflare Users
  entra-cloudflare:secretRotationDays: 30
  entra-cloudflare:secretGraceDays: 14
"""


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stack_outputs() -> dict[str, Any]:
    return {
        "tenantId": TENANT_ID,
        "loginAppClientId": CLIENT_ID,
        "loginAppObjectId": APP_OBJECT_ID,
        "identityProviderId": IDP_ID,
        "teamDomain": TEAM_DOMAIN,
        "redirectUri": REDIRECT_URI,
        "clientSecretExpiresAt": iso(EXPIRES_AT),
        "clientSecretRotatesFrom": iso(ROTATES_FROM),
        "clientSecretKeyId": KEY_ID,
        "azureGroupObjectIds": {"Cloudflare Users": USERS_GROUP_ID, ADMINS_GROUP_ID: ADMINS_GROUP_ID},
        "accessGroupIds": {"Engineers": ACCESS_GROUP_ID},
        "scimEndpoint": SCIM_ENDPOINT,
        "scimAppObjectId": "5ca00000-0000-4000-8000-0000000005ca",
        "scimServicePrincipalObjectId": SCIM_SP_ID,
        "scimProvisioningJobId": f"/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}",
    }


def stack_export(secret: Any = None) -> dict[str, Any]:
    """What `pulumi stack export --show-secrets` prints: the secret in Pulumi's signature shape."""
    value = (
        secret
        if secret is not None
        else {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            "plaintext": json.dumps(CLIENT_SECRET),
        }
    )
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "type": "azuread:index/application:Application",
                    "urn": "urn:pulumi:dev::entra-cloudflare::x::login-app",
                },
                {
                    "type": "azuread:index/applicationPassword:ApplicationPassword",
                    "urn": "urn:pulumi:dev::entra-cloudflare::entracf:sso:LoginApp$"
                    "azuread:index/applicationPassword:ApplicationPassword::login-client-secret",
                    "outputs": {"keyId": KEY_ID, "value": value},
                },
                {
                    "type": "cloudflare:index/zeroTrustAccessIdentityProvider:ZeroTrustAccessIdentityProvider",
                    "urn": "urn:pulumi:dev::entra-cloudflare::x::identity-provider-login-method",
                    "outputs": {
                        "id": IDP_ID,
                        "scimConfig": {
                            "enabled": True,
                            "secret": {
                                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                "plaintext": json.dumps(SCIM_SECRET),
                            },
                        },
                    },
                },
            ]
        },
    }


def write_project(root: Path, *, outputs: dict[str, Any] | None = None, export: dict[str, Any] | None = None) -> Path:
    """A project root with a stack file, and a fake `pulumi` on <root>/bin answering from JSON files.

    `stack output`/`stack export` print the files; a missing file means the stack was never
    deployed, which the real CLI reports as "no stack named ... found".
    """
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "stacks" / "Pulumi.dev.yaml").write_text(STACK_FILE)
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    if outputs is not None:
        (root / "outputs.json").write_text(json.dumps(outputs))
    if export is not None:
        (root / "export.json").write_text(json.dumps(export))
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$* backend=$PULUMI_BACKEND_URL" >> "{root}/pulumi.log"\n'
        'case "$1 $2" in\n'
        f'  "stack output") file="{root}/outputs.json" ;;\n'
        f'  "stack export") file="{root}/export.json" ;;\n'
        '  *) echo "unexpected: $*" >&2; exit 3 ;;\n'
        "esac\n"
        'if [ ! -f "$file" ]; then echo "error: no stack named \'dev\' found" >&2; exit 255; fi\n'
        'cat "$file"\n'
    )
    script.chmod(0o755)
    return bin_dir


@dataclass
class FakeAccessToken:
    token: str
    expires_on: int


class FakeCredential:
    """Stands in for an azure-identity credential; optional latency, as a real sign-in has."""

    def __init__(self, token: str = GRAPH_TOKEN, latency: float = 0.0, error: Exception | None = None) -> None:
        self.token = token
        self.latency = latency
        self.error = error
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> FakeAccessToken:
        self.calls += 1
        self.scopes = scopes
        if self.latency:
            time.sleep(self.latency)
        if self.error is not None:
            raise self.error
        return FakeAccessToken(self.token, int(time.time()) + 3600)


def _graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"code": code, "message": message}})


def _graph_page(request: httpx.Request, items: list[Any], page_size: int, link: str) -> httpx.Response:
    """The page of `items` that the request's `$skiptoken` asks for, with Graph's nextLink to `link`
    while more follow."""
    skip = int(parse_qs(request.url.query.decode()).get("$skiptoken", ["0"])[0])
    body: dict[str, Any] = {"value": items[skip : skip + page_size]}
    if skip + page_size < len(items):
        body["@odata.nextLink"] = f"{link}?$skiptoken={skip + page_size}"
    return httpx.Response(200, json=body)


def _cloudflare_error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"success": False, "errors": [{"code": code, "message": message}], "result": None}
    )


def _cloudflare_ok(result: Any, info: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return httpx.Response(200, json=body)


@dataclass
class Call:
    name: str
    started: float
    ended: float


@dataclass
class FakeTenant:
    """One healthy Entra tenant and Cloudflare account; tests break one thing at a time."""

    graph_permissions: set[str] = field(default_factory=lambda: set(ALL_GRAPH_PERMISSIONS))
    graph_token: str = GRAPH_TOKEN
    cloudflare_token: str = CLOUDFLARE_TOKEN
    cloudflare_can_read: bool = True
    app_exists: bool = True  # False: the login app was deleted, and Entra deleted its service principal with it
    redirect_uris: list[str] = field(default_factory=lambda: [REDIRECT_URI])
    id_token_claims: list[str] = field(default_factory=lambda: ["email"])
    scope_ids: list[str] = field(default_factory=lambda: list(SEVEN_SCOPES.values()))
    consent_scopes: list[str] = field(default_factory=lambda: list(SEVEN_SCOPES))
    password_credentials: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"keyId": KEY_ID, "displayName": "Cloudflare Access, rotation window", "endDateTime": iso(EXPIRES_AT)}
        ]
    )
    valid_secret: str = CLIENT_SECRET
    assignment_required: bool = True
    login_assignments: list[str] = field(default_factory=lambda: [USERS_GROUP_ID, ADMINS_GROUP_ID])
    scim_assignments: list[str] = field(default_factory=lambda: [USERS_GROUP_ID, ADMINS_GROUP_ID])
    job_exists: bool = True
    job_code: str = "Active"
    scim_token_valid: bool = True
    # Text Graph adds to Test Connection's refusal (a service that echoes what it was sent).
    validate_echo: str = ""
    last_state: str | None = "Succeeded"
    last_error: str = "HTTP 401 from the SCIM endpoint"
    # The state of a cycle that runs after a restart (None: none has run yet when verify reads again).
    run_after_restart: str | None = None
    idp_exists: bool = True
    idp_overrides: dict[str, Any] = field(default_factory=dict)
    scim_users: int = 7
    scim_groups: int = 2
    access_group_object_id: str = USERS_GROUP_ID
    # Rules added to the Access group by hand: section (include, require, exclude) -> rules.
    access_group_added: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Route name -> number of 429 (with Retry-After) or 503 answers before a normal one.
    throttle: Counter[str] = field(default_factory=Counter)
    flaky: Counter[str] = field(default_factory=Counter)
    latency: float = 0.0
    # Host -> the transport error every request to it raises (as httpx does: DNS, refused connection).
    unreachable: dict[str, Exception] = field(default_factory=dict)
    page_size: int = 1  # appRoleAssignedTo pages: small, so paging is exercised
    calls: list[Call] = field(default_factory=list)
    restarted_with: list[Any] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    # --- helpers ----------------------------------------------------------------------------------

    def count(self, name: str) -> int:
        return sum(1 for call in self.calls if call.name == name)

    def _route(self, router: respx.MockRouter, method: str, pattern: str, name: str, handler: Any) -> None:
        async def side_effect(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            started = time.perf_counter()
            if self.latency:
                await asyncio.sleep(self.latency)
            self.requests.append(request)
            if request.url.host in self.unreachable:
                raise self.unreachable[request.url.host]
            response = self._transient(name) or handler(request, **kwargs)
            # A job read after a restart is a call of its own in the chain of dependent calls.
            called = "job_after_restart" if name == "job" and self.restarted_with else name
            self.calls.append(Call(called, started, time.perf_counter()))
            return response

        router.route(method=method, url__regex=pattern).mock(side_effect=side_effect)

    def _transient(self, name: str) -> httpx.Response | None:
        if self.throttle[name] > 0:
            self.throttle[name] -= 1
            return httpx.Response(
                429, headers={"Retry-After": "2"}, json={"error": {"code": "TooManyRequests", "message": "throttled"}}
            )
        if self.flaky[name] > 0:
            self.flaky[name] -= 1
            return httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "try later"}})
        return None

    def _graph_denied(self, request: httpx.Request, permission: str) -> httpx.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.graph_token}":
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if permission not in self.graph_permissions and not (
            permission == "Application.Read.All" and "Directory.Read.All" in self.graph_permissions
        ):
            return _graph_error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return None

    def _cloudflare_denied(self, request: httpx.Request) -> httpx.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.cloudflare_token}":
            return _cloudflare_error(401, 10000, "Authentication error")
        if not self.cloudflare_can_read:
            return _cloudflare_error(403, 10000, "Authentication error")
        return None

    # --- Microsoft Graph --------------------------------------------------------------------------

    def _app(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Application.Read.All")
        if denied:
            return denied
        if not self.app_exists:
            return _graph_error(404, "Request_ResourceNotFound", f"Resource '{APP_OBJECT_ID}' does not exist.")
        app = {
            "id": APP_OBJECT_ID,
            "appId": CLIENT_ID,
            "web": {"redirectUris": self.redirect_uris},
            "requiredResourceAccess": [
                {
                    "resourceAppId": "00000003-0000-0000-c000-000000000000",
                    "resourceAccess": [{"id": scope_id, "type": "Scope"} for scope_id in self.scope_ids],
                }
            ],
            "passwordCredentials": self.password_credentials,
            "optionalClaims": {
                "accessToken": [],
                "idToken": [
                    {"name": name, "source": None, "essential": False, "additionalProperties": []}
                    for name in self.id_token_claims
                ],
                "saml2Token": [],
            },
        }
        # Graph returns only the properties `$select` names: a property verify forgot to select is absent.
        selected = request.url.params.get("$select")
        if selected:
            app = {name: value for name, value in app.items() if name in selected.split(",")}
        return httpx.Response(200, json=app)

    def _service_principal(self, request: httpx.Request, app_id: str, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Application.Read.All")
        if denied:
            return denied
        if app_id == CLIENT_ID and self.app_exists:
            return httpx.Response(
                200, json={"id": LOGIN_SP_ID, "appId": CLIENT_ID, "appRoleAssignmentRequired": self.assignment_required}
            )
        if app_id == "00000003-0000-0000-c000-000000000000":
            return httpx.Response(200, json={"id": GRAPH_SP_ID, "appId": app_id})
        return _graph_error(404, "Request_ResourceNotFound", f"Resource '{app_id}' does not exist.")

    def _grants(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Directory.Read.All")
        if denied:
            return denied
        if not self.app_exists:
            return _graph_error(404, "Request_ResourceNotFound", f"Resource '{CLIENT_ID}' does not exist.")
        return httpx.Response(
            200,
            json={
                "value": [
                    {
                        "clientId": LOGIN_SP_ID,
                        "consentType": "AllPrincipals",
                        "resourceId": GRAPH_SP_ID,
                        "scope": " ".join(self.consent_scopes),
                    }
                ]
            },
        )

    def _assignments(self, principals: list[str], base: str) -> Any:
        def handler(request: httpx.Request, **_: Any) -> httpx.Response:
            denied = self._graph_denied(request, "Application.Read.All")
            if denied:
                return denied
            if base.endswith(f"'{CLIENT_ID}')") and not self.app_exists:
                return _graph_error(404, "Request_ResourceNotFound", f"Resource '{CLIENT_ID}' does not exist.")
            assignments = [self.assignment(p) for p in principals]
            return _graph_page(request, assignments, self.page_size, f"{GRAPH}{base}/appRoleAssignedTo")

        return handler

    def assignment(self, principal_id: str) -> dict[str, Any]:
        """One appRoleAssignment of an app; the stack's assignments are groups."""
        return {"principalId": principal_id, "principalType": "Group", "appRoleId": "x"}

    def _job(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Synchronization.Read.All")
        if denied:
            return denied
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        status: dict[str, Any] = {"code": self.job_code, "steadyStateLastAchievedTime": "2026-03-15T11:20:00Z"}
        if self.job_code == "Quarantine":
            status["quarantine"] = {
                "reason": "EncounteredQuarantineException",
                "seriesBegan": "2026-03-14T08:00:00Z",
                "nextAttempt": "2026-03-15T20:00:00Z",
                "error": {
                    "code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                    "message": "HTTP 401 from the SCIM endpoint",
                },
            }
        if self.restarted_with and self.run_after_restart:
            status["lastExecution"] = {
                "state": self.run_after_restart,
                "timeBegan": "2026-03-15T12:00:30Z",
                "timeEnded": "2026-03-15T12:01:00Z",
                "error": None,
            }
        elif self.last_state:
            status["lastExecution"] = {
                "state": self.last_state,
                "timeBegan": "2026-03-15T11:00:00Z",
                "timeEnded": "2026-03-15T11:02:00Z",
                "error": {"message": self.last_error} if self.last_state == "Failed" else None,
            }
        return httpx.Response(200, json={"id": JOB_ID, "templateId": "scim", "status": status})

    def _validate(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Synchronization.ReadWrite.All")
        if denied:
            return denied
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        if json.loads(request.content) != {"useSavedCredentials": True}:
            return _graph_error(400, "BadRequest", "unexpected body")
        if not self.scim_token_valid:
            return _graph_error(
                400,
                "BadRequest",
                "You appear to have entered invalid credentials. Error code: "
                "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable" + self.validate_echo,
            )
        return httpx.Response(204)

    def _restart(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Synchronization.ReadWrite.All")
        if denied:
            return denied
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        self.restarted_with.append(json.loads(request.content))
        self.job_code = "Active"
        return httpx.Response(204)

    # --- the token endpoint -----------------------------------------------------------------------

    def _token(self, request: httpx.Request, **_: Any) -> httpx.Response:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        if not self.app_exists:
            return httpx.Response(
                400,
                json={
                    "error": "unauthorized_client",
                    "error_description": f"AADSTS700016: Application with identifier '{CLIENT_ID}' was not found "
                    f"in the directory '{TENANT_ID}'.",
                    "error_codes": [700016],
                },
            )
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return httpx.Response(
                400, json={"error": "invalid_request", "error_description": "AADSTS900144: bad request"}
            )
        if form.get("client_secret") != self.valid_secret:
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                    "in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0000",
                    "error_codes": [7000215],
                },
            )
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599, "access_token": "app-only-token"})

    # --- Cloudflare -------------------------------------------------------------------------------

    def _idp(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._cloudflare_denied(request)
        if denied:
            return denied
        if not self.idp_exists:
            return _cloudflare_error(404, 12130, "access.api.error.not_found")
        result: dict[str, Any] = {
            "id": IDP_ID,
            "name": "Entra ID (dev)",
            "type": "azureAD",
            "config": {
                "client_id": CLIENT_ID,
                "client_secret": "**********",
                "directory_id": TENANT_ID,
                "support_groups": True,
                "pkce_enabled": True,
            },
            "scim_config": {
                "enabled": True,
                "user_deprovision": True,
                "identity_update_behavior": "reauth",
                "scim_base_url": SCIM_ENDPOINT,
                "secret": "**********",
            },
        }
        for key, value in self.idp_overrides.items():
            section, _sep, name = key.partition(".")
            if name:
                result[section][name] = value
            else:
                result[section] = value
        return _cloudflare_ok(result)

    def _scim_view(self, total: int) -> Any:
        def handler(request: httpx.Request, **_: Any) -> httpx.Response:
            denied = self._cloudflare_denied(request)
            if denied:
                return denied
            if not self.idp_exists:
                return _cloudflare_error(404, 12130, "access.api.error.not_found")
            per_page = int(request.url.params.get("per_page", "50"))
            page = int(request.url.params.get("page", "1"))
            items = [{"id": f"item-{i}"} for i in range(total)][(page - 1) * per_page : page * per_page]
            pages = max(1, -(-total // per_page))
            return _cloudflare_ok(
                items,
                {"page": page, "per_page": per_page, "count": len(items), "total_count": total, "total_pages": pages},
            )

        return handler

    def _access_group(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._cloudflare_denied(request)
        if denied:
            return denied
        rules: dict[str, list[dict[str, Any]]] = {
            "include": [{"azureAD": {"id": self.access_group_object_id, "identity_provider_id": IDP_ID}}],
            "require": [],
            "exclude": [],
        }
        for section, added in self.access_group_added.items():
            rules[section] = rules[section] + added
        return _cloudflare_ok({"id": ACCESS_GROUP_ID, "name": "Engineers", "is_default": False, **rules})

    def install(self, router: respx.MockRouter) -> None:
        graph = GRAPH.replace(".", r"\.")
        login_sp = f"/servicePrincipals(appId='{CLIENT_ID}')"
        job = f"/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}"
        login = re.escape(LOGIN)
        self._route(router, "GET", rf"^{graph}/applications/{APP_OBJECT_ID}(\?.*)?$", "application", self._app)
        self._route(
            router,
            "GET",
            rf"^{graph}/servicePrincipals\(appId='(?P<app_id>[^']+)'\)(\?.*)?$",
            "service_principal",
            self._service_principal,
        )
        self._route(
            router, "GET", rf"^{graph}{re.escape(login_sp)}/oauth2PermissionGrants(\?.*)?$", "grants", self._grants
        )
        self._route(
            router,
            "GET",
            rf"^{graph}{re.escape(login_sp)}/appRoleAssignedTo(\?.*)?$",
            "login_assignments",
            self._assignments(self.login_assignments, login_sp),
        )
        self._route(
            router,
            "GET",
            rf"^{graph}/servicePrincipals/{SCIM_SP_ID}/appRoleAssignedTo(\?.*)?$",
            "scim_assignments",
            self._assignments(self.scim_assignments, f"/servicePrincipals/{SCIM_SP_ID}"),
        )
        self._route(router, "GET", rf"^{graph}{re.escape(job)}$", "job", self._job)
        self._route(router, "POST", rf"^{graph}{re.escape(job)}/validateCredentials$", "validate", self._validate)
        self._route(router, "POST", rf"^{graph}{re.escape(job)}/restart$", "restart", self._restart)
        self._route(router, "POST", rf"^{login}/{TENANT_ID}/oauth2/v2\.0/token$", "token", self._token)
        cloudflare = CLOUDFLARE.replace(".", r"\.")
        idp = f"{cloudflare}/accounts/{ACCOUNT_ID}/access/identity_providers/{IDP_ID}"
        self._route(router, "GET", rf"^{idp}$", "identity_provider", self._idp)
        self._route(router, "GET", rf"^{idp}/scim/users(\?.*)?$", "scim_users", self._scim_view(self.scim_users))
        self._route(router, "GET", rf"^{idp}/scim/groups(\?.*)?$", "scim_groups", self._scim_view(self.scim_groups))
        self._route(
            router,
            "GET",
            rf"^{cloudflare}/accounts/{ACCOUNT_ID}/access/groups/{ACCESS_GROUP_ID}$",
            "access_group",
            self._access_group,
        )


# Which fake calls must finish before another can start: the longest chain through this graph is
# the least time verify can take. "sign_in" is the Graph token (FakeCredential), every Graph call
# needs it; a second page needs the first; a restart needs the job's status and a validation, and
# the job is read again after it.
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "application": ("sign_in",),
    "service_principal": ("sign_in",),
    "grants": ("sign_in",),
    "login_assignments": ("sign_in",),
    "scim_assignments": ("sign_in",),
    "job": ("sign_in",),
    "validate": ("sign_in",),
    "restart": ("job", "validate"),
    "job_after_restart": ("restart",),
}
PAGED = ("login_assignments", "scim_assignments", "scim_users", "scim_groups")


def longest_chain(
    calls: list[str], depends_on: dict[str, tuple[str, ...]] = DEPENDS_ON, paged: tuple[str, ...] = PAGED
) -> int:
    """Calls in the longest chain of dependent calls among `calls` (pages of one list follow each other)."""
    made = Counter(calls)
    depth: dict[str, int] = {}

    def chain(name: str) -> int:
        if name not in depth:
            before = max((chain(d) for d in depends_on.get(name, ()) if made[d] or d == "sign_in"), default=0)
            depth[name] = before + (made[name] if name in paged else 1)
        return depth[name]

    return max((chain(name) for name in made), default=0)
