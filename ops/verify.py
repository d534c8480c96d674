"""`make verify`: does sign-in and provisioning of a deployed stack actually work?

    venv/bin/python -m ops.verify --stack <stack> [--json] [--repair] [--canary <user>]

Reads the stack's outputs and client secret through the Pulumi CLI, its expectations from its
stack file, then checks the live Entra tenant (Microsoft Graph) and Cloudflare account. Every REST
call is fetched once and shared, so independent checks run concurrently and the run takes about
as long as its longest chain of dependent calls. Each check holds, warns or fails, with a
one-line reason, or is skipped: because the check it depends on failed (a missing object is
reported once, by the check that owns it) or because a host could not be reached (reported once,
with the host and the cause). Exit codes: 0 all hold (warnings allowed), 1 a check fails, 2 verify
could not run (or, with no check failing, could not reach a host). `--repair` restarts a
quarantined provisioning job whose credentials validate again, and changes nothing else.
`--canary <user>` also provisions that one person on demand and follows them into Cloudflare
(ops/canary.py). See docs/verify.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TextIO

from components import attribute_mappings
from components.constants import (
    CLOUDFLARE_AZURE_AD_TYPE,
    EMAIL_OPTIONAL_CLAIM,
    GRAPH_DELEGATED_SCOPES,
    MICROSOFT_GRAPH_APP_ID,
)
from config.settings import GroupRef, Settings
from ops import arguments, needs, permissions
from ops.canary import Canary, UnknownUserError
from ops.clients import (
    ApiError,
    CloudflareClient,
    CredentialToken,
    EntraLoginClient,
    GraphClient,
    NetworkError,
    NotFoundError,
    RetryPolicy,
    StaticToken,
    odata_string,
)
from ops.command import Runtime, prerequisites, report_unexpected
from ops.redaction import Secret, quoted, scrub
from ops.sign_in import CannotRunError, sign_in
from ops.stack_outputs import StackError, StackOutputs, parse_time, read_stack

EXIT_OK: Final = 0
EXIT_CHECK_FAILED: Final = 1
EXIT_CANNOT_RUN: Final = 2

DELEGATED_SCOPE: Final = "Scope"
TENANT_WIDE_CONSENT: Final = "AllPrincipals"
# What clears a quarantine once the cause is fixed. Source: Graph synchronizationJob: restart.
QUARANTINE_RESET_SCOPE: Final = "Watermark, Escrows, QuarantineState"
# Tolerance when comparing the secret's end date with the stack's: Graph may add a fraction.
END_DATE_TOLERANCE_SECONDS: Final = 60


class Status(StrEnum):
    HOLDS = "holds"
    WARNS = "warns"
    FAILS = "fails"
    SKIPPED = "skipped"  # not checked: what it depends on failed, or a host could not be reached


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    status: Status
    reason: str


@dataclass(frozen=True)
class Report:
    stack: str
    header: str
    checks: tuple[Check, ...]
    canary: dict[str, Any] | None = None  # what --canary found, beside its checks
    # Each host that could not be reached, once, with the cause: no verdict on any check.
    unreachable: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if any(c.status is Status.FAILS for c in self.checks):
            return EXIT_CHECK_FAILED
        return EXIT_CANNOT_RUN if self.unreachable else EXIT_OK

    def scrubbed(self, secrets: list[str]) -> Report:
        """The same report with every secret scrubbed from its text, before it is encoded."""
        return replace(
            self,
            header=scrub(self.header, secrets),
            checks=tuple(replace(c, reason=scrub(c.reason, secrets)) for c in self.checks),
            unreachable=tuple(scrub(problem, secrets) for problem in self.unreachable),
            canary=_scrubbed(self.canary, secrets),
        )

    def counts(self) -> dict[str, int]:
        return {status.value: sum(1 for c in self.checks if c.status is status) for status in Status}

    def as_json(self) -> dict[str, Any]:
        document = {
            "stack": self.stack,
            "exitCode": self.exit_code,
            "summary": self.counts(),
            "checks": [
                {"id": c.id, "title": c.title, "status": c.status.value, "reason": c.reason} for c in self.checks
            ],
            "unreachable": list(self.unreachable),
        }
        if self.canary is not None:
            document["canary"] = self.canary
        return document

    def as_text(self) -> str:
        width = max((len(c.title) for c in self.checks), default=0)
        lines = [self.header]
        lines += [f"  {c.status.value:<7}  {c.title:<{width}}  {c.reason}" for c in self.checks]
        lines += [f"  {problem}" for problem in self.unreachable]
        counts = self.counts()
        verdict = {
            EXIT_OK: "all checks hold",
            EXIT_CHECK_FAILED: "some checks fail",
            EXIT_CANNOT_RUN: "some checks could not be made",
        }[self.exit_code]
        skipped = f", {counts['skipped']} skipped" if counts["skipped"] else ""
        lines.append(
            f"{len(self.checks)} checks: {counts['holds']} hold, {counts['warns']} warn, {counts['fails']} fail"
            f"{skipped} ({verdict})"
        )
        return "\n".join(lines)


def _scrubbed(value: Any, secrets: list[str]) -> Any:
    """Every string inside `value` (a JSON-shaped document) scrubbed."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: _scrubbed(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, secrets) for item in value]
    return value


@dataclass
class Clients:
    graph: GraphClient
    cloudflare: CloudflareClient
    login: EntraLoginClient


CheckBody = Callable[[], Awaitable[tuple[Status, str]]]


@dataclass(frozen=True)
class Owner:
    """The check that reports a missing object (a 404 from one of the shared calls in OWNERS) as
    the root cause, with its fix; every other check that needed the object is skipped, naming it.
    `fetch` is the call whose 404 proves the object is gone; `names` says which object it is."""

    check_id: str
    fetch: Callable[[Verification], asyncio.Task[Any]]
    names: Callable[[Verification], str]

    def reason(self, verification: Verification) -> str:
        return _deleted(verification, self.names(verification))


def _deleted(verification: Verification, what: str) -> str:
    # A plain `up` does not notice a deletion: the state still holds the object until a refresh.
    return (
        f"{what} does not exist: it was deleted; "
        f"recreate it with 'scripts/stack.sh up {verification.settings.stack} --refresh'"
    )


_JOB = Owner("entra.scim.job", lambda v: v.scim_job(), lambda v: f"the provisioning job {v.outputs.scim_job_path}")
_LOGIN_METHOD = Owner(
    "cloudflare.login-method",
    lambda v: v.login_method(),
    lambda v: f"the login method {v.outputs.identity_provider_id} in account {v.settings.cloudflare_account_id}",
)
_LOGIN_APP = Owner(
    "entra.login-app.redirect-uri", lambda v: v.login_app(), lambda v: f"the login app {v.outputs.login_app_object_id}"
)
_LOGIN_SERVICE_PRINCIPAL = Owner(
    "entra.assignment-required",
    lambda v: v.login_service_principal(),
    lambda v: f"the login app's service principal (appId {v.outputs.login_app_client_id})",
)
# Which shared call's 404 is whose root cause (Graph answers 404 under a deleted job too).
OWNERS: Final[dict[str, Owner]] = {
    "scim_job": _JOB,
    "scim_validate": _JOB,
    "scim_schema": _JOB,
    "scim_job_after_repair": _JOB,
    "cf_idp": _LOGIN_METHOD,
    "cf_scim_users": _LOGIN_METHOD,
    "cf_scim_groups": _LOGIN_METHOD,
    "login_app": _LOGIN_APP,
    "login_sp": _LOGIN_SERVICE_PRINCIPAL,
    "login_grants": _LOGIN_SERVICE_PRINCIPAL,
    "login_assignments": _LOGIN_SERVICE_PRINCIPAL,
}


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _days(delta_seconds: float) -> int:
    return int(delta_seconds // 86400)


@dataclass
class Verification:
    """The checks of one stack. Each REST call is a shared task: started once, awaited by every check."""

    settings: Settings
    outputs: StackOutputs
    client_secret: Secret
    clients: Clients
    graph_scope: str
    now: datetime
    repair: bool = False
    stack_secrets: list[str] = field(default_factory=list)  # every secret in the stack's state
    _tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    _titles: dict[str, str] = field(default_factory=dict)
    unreachable: list[str] = field(default_factory=list)

    def _once(self, key: str, call: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        if key not in self._tasks:

            async def tagged() -> Any:
                try:
                    return await call()
                except ApiError as error:
                    error.call = error.call or key  # the innermost shared call is the one that failed
                    raise

            self._tasks[key] = asyncio.ensure_future(tagged())
        return self._tasks[key]

    # --- the REST calls, each made at most once -------------------------------------------------

    def login_app(self) -> asyncio.Task[Any]:
        return self._once(
            "login_app",
            lambda: self.clients.graph.get(
                f"/applications/{self.outputs.login_app_object_id}",
                permission=permissions.APPLICATION_READ,
                params={"$select": "id,appId,web,requiredResourceAccess,passwordCredentials,optionalClaims"},
            ),
        )

    def _login_sp_path(self) -> str:
        # Graph addresses a service principal by its appId too, so no lookup has to come first.
        return f"/servicePrincipals(appId={odata_string(self.outputs.login_app_client_id)})"

    def login_service_principal(self) -> asyncio.Task[Any]:
        return self._once(
            "login_sp",
            lambda: self.clients.graph.get(
                self._login_sp_path(),
                permission=permissions.APPLICATION_READ,
                params={"$select": "id,appId,appRoleAssignmentRequired"},
            ),
        )

    def graph_service_principal(self) -> asyncio.Task[Any]:
        return self._once(
            "graph_sp",
            lambda: self.clients.graph.get(
                f"/servicePrincipals(appId={odata_string(MICROSOFT_GRAPH_APP_ID)})",
                permission=permissions.APPLICATION_READ,
                params={"$select": "id,appId"},
            ),
        )

    def login_grants(self) -> asyncio.Task[Any]:
        return self._once(
            "login_grants",
            lambda: self.clients.graph.list(
                f"{self._login_sp_path()}/oauth2PermissionGrants", permission=permissions.DIRECTORY_READ
            ),
        )

    def login_assignments(self) -> asyncio.Task[Any]:
        return self._once(
            "login_assignments",
            lambda: self.clients.graph.list(
                f"{self._login_sp_path()}/appRoleAssignedTo", permission=permissions.APPLICATION_READ
            ),
        )

    def sign_in_check(self) -> asyncio.Task[Any]:
        return self._once(
            "client_credentials",
            lambda: self.clients.login.client_credentials(
                self.outputs.tenant_id, self.outputs.login_app_client_id, self.client_secret, self.graph_scope
            ),
        )

    def scim_job(self) -> asyncio.Task[Any]:
        return self._once(
            "scim_job",
            lambda: self.clients.graph.get(self._job_path(), permission=permissions.SYNCHRONIZATION_READ),
        )

    def scim_schema(self) -> asyncio.Task[Any]:
        return self._once(
            "scim_schema",
            lambda: self.clients.graph.get(f"{self._job_path()}/schema", permission=permissions.SYNCHRONIZATION_READ),
        )

    def scim_validate(self) -> asyncio.Task[Any]:
        return self._once(
            "scim_validate",
            lambda: self.clients.graph.post(
                f"{self._job_path()}/validateCredentials",
                {"useSavedCredentials": True},
                permission=permissions.SYNCHRONIZATION_READWRITE,
            ),
        )

    def scim_assignments(self) -> asyncio.Task[Any]:
        return self._once(
            "scim_assignments",
            lambda: self.clients.graph.list(
                f"/servicePrincipals/{self._scim_sp()}/appRoleAssignedTo", permission=permissions.APPLICATION_READ
            ),
        )

    def _idp_path(self) -> str:
        account = self.settings.cloudflare_account_id
        return f"/accounts/{account}/access/identity_providers/{self.outputs.identity_provider_id}"

    def login_method(self) -> asyncio.Task[Any]:
        return self._once(
            "cf_idp",
            lambda: self.clients.cloudflare.get(self._idp_path(), permission=permissions.CLOUDFLARE_ACCESS_READ),
        )

    def scim_received(self, kind: str) -> asyncio.Task[Any]:
        return self._once(
            f"cf_scim_{kind}",
            lambda: self.clients.cloudflare.count(
                f"{self._idp_path()}/scim/{kind}", permission=permissions.CLOUDFLARE_ACCESS_READ
            ),
        )

    def repaired(self) -> asyncio.Task[Any]:
        """With --repair: when the job is quarantined and its credentials validate, restart it once.
        The moment of the restart, or None when there was nothing to restart."""

        async def repair() -> datetime | None:
            job: Any
            validation: Any
            job, validation = await asyncio.gather(self.scim_job(), self.scim_validate(), return_exceptions=True)
            if isinstance(job, BaseException) or isinstance(validation, BaseException):
                return None
            status = job.get("status") or {}
            if status.get("code") != "Quarantine" and not status.get("quarantine"):
                return None
            await self.clients.graph.post(
                f"{self._job_path()}/restart",
                {"criteria": {"resetScope": QUARANTINE_RESET_SCOPE}},
                permission=permissions.SYNCHRONIZATION_READWRITE,
            )
            return self.now

        return self._once("scim_restart", repair)

    def scim_job_after_repair(self) -> asyncio.Task[Any]:
        """The job's status as of the --repair restart (read again after it), else the first read."""

        async def read() -> Any:
            if self.repair and await self.repaired() is not None:
                return await self.clients.graph.get(self._job_path(), permission=permissions.SYNCHRONIZATION_READ)
            return await self.scim_job()

        return self._once("scim_job_after_repair", read)

    def access_group(self, group_id: str) -> asyncio.Task[Any]:
        return self._once(
            f"cf_group_{group_id}",
            lambda: self.clients.cloudflare.get(
                f"/accounts/{self.settings.cloudflare_account_id}/access/groups/{group_id}",
                permission=permissions.CLOUDFLARE_ACCESS_READ,
            ),
        )

    def _job_path(self) -> str:
        if not self.outputs.scim_job_path:
            raise MissingOutputError("scimProvisioningJobId")
        return self.outputs.scim_job_path

    def _scim_sp(self) -> str:
        if not self.outputs.scim_service_principal_object_id:
            raise MissingOutputError("scimServicePrincipalObjectId")
        return self.outputs.scim_service_principal_object_id

    def secrets(self) -> list[str]:
        """Every secret value this run knows: the stack's and the tokens the clients have used."""
        known = [self.client_secret.reveal(), *self.stack_secrets]
        for client in (self.clients.graph, self.clients.cloudflare):
            known += client.token.known_values() if client.token is not None else []
        return known

    def quote(self, text: str | None) -> str:
        """Text a service wrote into an answer (a job's error), scrubbed and then shortened."""
        return quoted(text or "", self.secrets())

    def _group_object_id(self, ref: GroupRef) -> str | None:
        return self.outputs.group_object_ids.get(ref.text) or ref.object_id

    # --- running ----------------------------------------------------------------------------------

    async def run(self) -> list[Check]:
        plan: list[tuple[str, str, CheckBody]] = [
            ("entra.login-app.redirect-uri", "Login app redirect URI", self.check_redirect_uri),
            ("entra.login-app.scopes", "Login app Graph scopes", self.check_scopes),
            ("entra.login-app.email-claim", "Email claim in ID tokens", self.check_email_claim),
            ("entra.consent-grant", "Admin consent to Graph", self.check_consent),
            ("entra.client-secret.expiry", "Client secret of this stack", self.check_secret_expiry),
            ("entra.client-secret.others", "Other client secrets", self.check_other_secrets),
            ("entra.client-secret.sign-in", "Client secret works (Test, app half)", self.check_secret_signs_in),
            ("entra.assignment-required", "Assignment required", self.check_assignment_required),
            ("entra.sign-in-groups", "Sign-in groups assigned", self.check_sign_in_groups),
        ]
        if self.settings.scim.enabled:
            plan += [
                ("entra.scim.job", "Provisioning job", self.check_job),
                ("entra.scim.test-connection", "Test Connection", self.check_test_connection),
                ("entra.scim.quarantine", "Provisioning quarantine", self.check_quarantine),
                ("entra.scim.last-run", "Provisioning last run", self.check_last_run),
                ("entra.scim.groups", "Provisioning groups assigned", self.check_scim_groups),
            ]
            if self.settings.scim.user_attributes:
                plan.append(
                    ("entra.scim.attribute-mappings", "Provisioning attribute mappings", self.check_user_attributes)
                )
        plan += [
            ("cloudflare.login-method", "Cloudflare login method", self.check_login_method),
            ("cloudflare.login-method.settings", "Login method settings", self.check_login_method_settings),
            ("cloudflare.login-method.scim", "Login method SCIM settings", self.check_login_method_scim),
        ]
        if self.settings.scim.enabled:
            plan.append(("cloudflare.scim.received", "Received over SCIM", self.check_received))
        for name, ref in self.settings.access_groups.items():
            plan.append(
                (f"cloudflare.access-group.{name}", f"Access group '{name}'", self._access_group_check(name, ref))
            )
        self._titles = {check_id: title for check_id, title, _body in plan}
        return list(await asyncio.gather(*(self._run_one(*entry) for entry in plan)))

    async def _run_one(self, check_id: str, title: str, body: CheckBody) -> Check:
        try:
            status, reason = await body()
        except MissingOutputError as missing:
            status, reason = Status.FAILS, str(missing)
        except ApiError as error:
            status, reason = await self.no_verdict(check_id, error) or (Status.FAILS, f"could not check: {error}")
        return Check(check_id, title, status, reason)

    async def no_verdict(self, check_id: str, error: ApiError) -> tuple[Status, str] | None:
        """What a failed call means when it is no verdict on the check that made it (ops/canary.py's
        checks too): a host that could not be reached (reported once, with the cause), or a deleted
        object (reported by the check that owns it). None when the error is a verdict."""
        if isinstance(error, NetworkError):
            if error.describe() not in self.unreachable:
                self.unreachable.append(error.describe())
            return Status.SKIPPED, f"not checked: cannot reach {error.host}"
        if isinstance(error, NotFoundError):
            return await self._missing(check_id, error)
        return None

    async def _missing(self, check_id: str, error: NotFoundError) -> tuple[Status, str]:
        """A 404: the root cause with its fix in the check that owns the object, a skip elsewhere."""
        owner = OWNERS.get(error.call or "")
        if owner is None:
            return Status.FAILS, f"not found: {error}"
        if owner.check_id == check_id:
            return Status.FAILS, owner.reason(self)
        return await self._skipped_if_gone(owner) or (Status.FAILS, f"not found: {error}")

    async def _skipped_if_gone(self, owner: Owner) -> tuple[Status, str] | None:
        """A skip naming the owner's check when the object it owns is gone, else None."""
        if owner.check_id in self._titles and await self._not_found(owner.fetch(self)):
            return Status.SKIPPED, f"skipped: '{self._titles[owner.check_id]}' failed (the object does not exist)"
        return None

    @staticmethod
    async def _not_found(task: asyncio.Task[Any]) -> bool:
        try:
            await task
        except NotFoundError:
            return True
        except ApiError:
            return False
        return False

    # --- Entra: the login app ---------------------------------------------------------------------

    async def check_redirect_uri(self) -> tuple[Status, str]:
        app = await self.login_app()
        uris = list((app.get("web") or {}).get("redirectUris") or [])
        expected = self.outputs.redirect_uri
        if uris == [expected]:
            return Status.HOLDS, f"{expected}, and no other"
        if expected not in uris:
            return Status.FAILS, f"{expected} is missing (the app has: {', '.join(uris) or 'none'}); redeploy"
        others = ", ".join(uri for uri in uris if uri != expected)
        return Status.FAILS, f"{expected} is there but so is {others}: codes could be sent elsewhere; redeploy"

    async def check_scopes(self) -> tuple[Status, str]:
        app = await self.login_app()
        by_id = {scope_id: name for name, scope_id in GRAPH_DELEGATED_SCOPES.items()}
        requested: set[str] = set()
        other: list[str] = []
        for resource in app.get("requiredResourceAccess") or []:
            for access in resource.get("resourceAccess") or []:
                if resource.get("resourceAppId") == MICROSOFT_GRAPH_APP_ID and access.get("type") == DELEGATED_SCOPE:
                    requested.add(str(access.get("id")))
                else:
                    other.append(f"{access.get('type')} {access.get('id')} of {resource.get('resourceAppId')}")
        missing = [name for name, scope_id in GRAPH_DELEGATED_SCOPES.items() if scope_id not in requested]
        extra = [by_id.get(scope_id, scope_id) for scope_id in sorted(requested - set(by_id))] + other
        if missing or extra:
            parts = [
                f"missing {', '.join(missing)}" if missing else "",
                f"also requests {', '.join(extra)}" if extra else "",
            ]
            return Status.FAILS, "; ".join(p for p in parts if p) + "; redeploy"
        return Status.HOLDS, f"exactly the seven delegated Graph scopes ({', '.join(GRAPH_DELEGATED_SCOPES)})"

    async def check_consent(self) -> tuple[Status, str]:
        grants, graph = await asyncio.gather(self.login_grants(), self.graph_service_principal())
        tenant_wide = [
            g for g in grants if g.get("consentType") == TENANT_WIDE_CONSENT and g.get("resourceId") == graph.get("id")
        ]
        if not tenant_wide:
            return (
                Status.FAILS,
                "no tenant-wide (admin) consent to Microsoft Graph: users are asked to consent; redeploy",
            )
        granted = {scope for g in tenant_wide for scope in str(g.get("scope") or "").split()}
        missing = [name for name in GRAPH_DELEGATED_SCOPES if name not in granted]
        if missing:
            return Status.FAILS, f"the admin consent lacks {', '.join(missing)}; redeploy"
        extra = sorted(granted - set(GRAPH_DELEGATED_SCOPES))
        if extra:
            return Status.WARNS, f"carries all seven scopes, and also {', '.join(extra)} (granted outside this stack)"
        return Status.HOLDS, f"{len(tenant_wide)} tenant-wide grant carries all seven scopes"

    async def check_email_claim(self) -> tuple[Status, str]:
        app = await self.login_app()
        id_token_claims = [str(c.get("name")) for c in (app.get("optionalClaims") or {}).get("idToken") or []]
        if EMAIL_OPTIONAL_CLAIM in id_token_claims:
            return Status.HOLDS, f"the login app requests the optional claim {EMAIL_OPTIONAL_CLAIM} in ID tokens"
        return (
            Status.FAILS,
            f"the login app does not request the optional claim {EMAIL_OPTIONAL_CLAIM} in ID tokens, so members' "
            "tokens carry no email and Cloudflare takes the UPN, which SCIM identities do not match where UPNs "
            "differ from email addresses; redeploy",
        )

    # --- Entra: the client secret -----------------------------------------------------------------

    def _stack_secret(self, credentials: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
        """The stack's secret on the app, and a note when it had to be matched by end date."""
        key_id = self.outputs.client_secret_key_id
        if key_id:
            return next((c for c in credentials if str(c.get("keyId", "")).lower() == key_id.lower()), None), ""
        expected = self.outputs.client_secret_expires_at
        for credential in credentials:
            end = credential.get("endDateTime")
            if end and abs((parse_time(end) - expected).total_seconds()) <= END_DATE_TOLERANCE_SECONDS:
                return credential, " (matched by end date: the stack has no clientSecretKeyId output yet; redeploy)"
        return None, " (the stack has no clientSecretKeyId output yet; redeploy)"

    async def check_secret_expiry(self) -> tuple[Status, str]:
        app = await self.login_app()
        ours, note = self._stack_secret(app.get("passwordCredentials") or [])
        stack = self.settings.stack
        if ours is None:
            key = self.outputs.client_secret_key_id or "unknown"
            return (
                Status.FAILS,
                f"the stack's secret (key ID {key}) is not on the app: it was deleted outside Pulumi; "
                f"run 'make rotate-now STACK={stack}'{note}",
            )
        end = parse_time(str(ours.get("endDateTime")))
        expected = self.outputs.client_secret_expires_at
        if abs((end - expected).total_seconds()) > END_DATE_TOLERANCE_SECONDS:
            return Status.FAILS, f"ends {_date(end)}, but the stack says {_date(expected)}; redeploy{note}"
        left = (end - self.now).total_seconds()
        if left <= 0:
            return Status.FAILS, f"expired {_date(end)}: sign-in is broken; run 'make up STACK={stack}' now{note}"
        if self.now >= self.outputs.client_secret_rotates_from:
            return (
                Status.WARNS,
                f"in its grace period: ends {_date(end)}, {_days(left)} days left; run 'make up STACK={stack}' "
                f"to rotate it{note}",
            )
        status = Status.WARNS if note else Status.HOLDS
        return (
            status,
            f"ends {_date(end)}, {_days(left)} days left; "
            f"rotates from {_date(self.outputs.client_secret_rotates_from)}{note}",
        )

    async def check_other_secrets(self) -> tuple[Status, str]:
        app = await self.login_app()
        credentials = app.get("passwordCredentials") or []
        ours, _ = self._stack_secret(credentials)
        others = [c for c in credentials if c is not ours]
        if not others:
            return Status.HOLDS, "none: the stack's secret is the only one"
        listed = []
        for credential in others:
            end = parse_time(str(credential.get("endDateTime")))
            state = "expired" if end <= self.now else "ends"
            listed.append(
                f"'{credential.get('displayName') or 'unnamed'}' key {credential.get('keyId')} {state} {_date(end)}"
            )
        return Status.WARNS, f"{len(others)} secret(s) not made by this stack: {'; '.join(listed)}"

    async def check_secret_signs_in(self) -> tuple[Status, str]:
        try:
            await self.sign_in_check()
        except ApiError as error:
            # Only Entra's own refusal is a verdict on the secret; a 5xx or no answer is not, and
            # neither is a refusal because the app itself is gone (reported once, by its own check).
            if error.status not in (400, 401):
                raise
            gone = await self._skipped_if_gone(_LOGIN_APP)
            if gone:
                return gone
            return (
                Status.FAILS,
                f"Entra refused the login app's client ID with the stack's secret: {error.code}: {error.message}",
            )
        return Status.HOLDS, "Entra issues a token to the login app's client ID with the stack's secret"

    # --- Entra: who may sign in -------------------------------------------------------------------

    async def check_assignment_required(self) -> tuple[Status, str]:
        service_principal = await self.login_service_principal()
        actual = bool(service_principal.get("appRoleAssignmentRequired"))
        expected = self.settings.assignment_required
        if actual == expected:
            return Status.HOLDS, f"{str(actual).lower()}, as configured"
        return Status.FAILS, f"{str(actual).lower()}, but the stack configures {str(expected).lower()}; redeploy"

    def _assigned(self, assignments: list[dict[str, Any]], refs: tuple[GroupRef, ...], app: str) -> tuple[Status, str]:
        assigned = {str(a.get("principalId", "")).lower() for a in assignments}
        missing, unresolved = [], []
        for ref in refs:
            object_id = self._group_object_id(ref)
            if object_id is None:
                unresolved.append(ref.text)
            elif object_id.lower() not in assigned:
                missing.append(f"{ref.text} ({object_id})")
        if unresolved:
            return (
                Status.FAILS,
                f"no object ID in the stack's azureGroupObjectIds for {', '.join(unresolved)}; redeploy",
            )
        if missing:
            return Status.FAILS, f"not assigned to the {app}: {', '.join(missing)}; redeploy"
        if not refs:
            return Status.HOLDS, "no groups configured"
        return Status.HOLDS, f"all {len(refs)} assigned: {', '.join(ref.text for ref in refs)}"

    async def check_sign_in_groups(self) -> tuple[Status, str]:
        assignments = await self.login_assignments()
        return self._assigned(assignments, self.settings.sign_in_groups, "login app")

    # --- Entra: SCIM provisioning -----------------------------------------------------------------

    async def check_job(self) -> tuple[Status, str]:
        job = await self.scim_job()
        code = (job.get("status") or {}).get("code") or "unknown"
        if code in ("Active", "Quarantine"):
            return Status.HOLDS, f"exists, status {code}"
        if code == "NotRun":
            return Status.WARNS, "exists but has not run yet"
        return (
            Status.FAILS,
            f"exists but its status is {code}: provisioning is not running; redeploy (it starts the job)",
        )

    async def check_test_connection(self) -> tuple[Status, str]:
        self._job_path()
        try:
            await self.scim_validate()
        except ApiError as error:
            if error.status == 400:
                return (
                    Status.FAILS,
                    "Entra cannot reach Cloudflare's SCIM endpoint with the saved token: "
                    f"{error.code}: {error.message}",
                )
            raise
        endpoint = self.outputs.scim_endpoint or "Cloudflare's SCIM endpoint"
        return Status.HOLDS, f"Entra reaches {endpoint} with the saved secret token"

    async def check_quarantine(self) -> tuple[Status, str]:
        job = await self.scim_job()
        status = job.get("status") or {}
        quarantine = status.get("quarantine")
        if status.get("code") != "Quarantine" and not quarantine:
            return Status.HOLDS, "not in quarantine"
        quarantine = quarantine or {}
        error = self.quote((quarantine.get("error") or {}).get("message"))
        cause = quarantine.get("reason", "no reason given") + (f": {error}" if error else "")
        described = (
            f"quarantined since {quarantine.get('seriesBegan', 'unknown')} ({cause}); "
            f"next attempt {quarantine.get('nextAttempt', 'unknown')}"
        )
        try:
            await self.scim_validate()
        except ApiError as error:
            if error.status != 400:
                raise
            return Status.FAILS, f"{described}; its credentials still fail Test Connection: fix the SCIM secret first"
        if not self.repair:
            return Status.FAILS, f"{described}; its credentials validate now: run again with --repair to restart it"
        await self.repaired()
        now = ((await self.scim_job_after_repair()).get("status") or {}).get("code") or "unknown"
        return (
            Status.WARNS,
            f"{described}; credentials validate, so --repair restarted the job to clear the quarantine "
            f"(status now {now})",
        )

    async def check_last_run(self) -> tuple[Status, str]:
        job = await self.scim_job_after_repair()
        restarted = await self.repaired() if self.repair else None
        status = job.get("status") or {}
        last = status.get("lastExecution") or {}
        steady = status.get("steadyStateLastAchievedTime") or "never"
        state = last.get("state")
        if not state:
            return Status.WARNS, f"no run yet; steady state last reached {steady}"
        reason = f"{state}, ended {last.get('timeEnded', 'unknown')}; steady state last reached {steady}"
        message = self.quote((last.get("error") or {}).get("message"))
        began = last.get("timeBegan")
        if restarted is not None and (not began or parse_time(str(began)) < restarted):
            # The history before the restart is what --repair just dealt with: a warning, not a verdict.
            earlier = f"{reason}: {message}" if message and state != "Succeeded" else reason
            return Status.WARNS, f"no run since --repair restarted the job at {_date(restarted)}; before it: {earlier}"
        if state == "Succeeded":
            return Status.HOLDS, reason
        reason += f": {message}" if message else ""
        return (Status.FAILS if state == "Failed" else Status.WARNS), reason

    async def check_scim_groups(self) -> tuple[Status, str]:
        assignments = await self.scim_assignments()
        return self._assigned(assignments, self.settings.scim.groups, "SCIM app")

    async def check_user_attributes(self) -> tuple[Status, str]:
        """Every declared mapping holds in the job's User mapping (scim.userAttributes)."""
        schema = await self.scim_schema()
        try:
            live = attribute_mappings.user_mappings(schema)
        except attribute_mappings.SchemaShapeError as error:
            return Status.FAILS, str(error)
        drifted = []
        for target, declared in self.settings.scim.user_attributes.items():
            source = (live.get(target) or {}).get("source")
            if not attribute_mappings.holds(declared, source):
                drifted.append(
                    f"{target} <- {attribute_mappings.source_text(source) or 'nothing'}, declared {declared}"
                )
        if drifted:
            return Status.FAILS, f"changed outside the stack: {'; '.join(drifted)}; redeploy to write them back"
        return Status.HOLDS, f"all {len(self.settings.scim.user_attributes)} managed mappings hold"

    # --- Cloudflare -------------------------------------------------------------------------------

    async def check_login_method(self) -> tuple[Status, str]:
        idp = await self.login_method()
        config = idp.get("config") or {}
        problems = []
        if idp.get("type") != CLOUDFLARE_AZURE_AD_TYPE:
            problems.append(f"type is {idp.get('type')}, not {CLOUDFLARE_AZURE_AD_TYPE}")
        if config.get("client_id") != self.outputs.login_app_client_id:
            problems.append(
                f"client_id is {config.get('client_id')}, not the login app's {self.outputs.login_app_client_id}"
            )
        if str(config.get("directory_id", "")).lower() != self.outputs.tenant_id.lower():
            problems.append(f"directory_id is {config.get('directory_id')}, not the tenant {self.outputs.tenant_id}")
        if problems:
            return Status.FAILS, "; ".join(problems) + "; redeploy"
        return Status.HOLDS, f"'{idp.get('name')}' is azureAD with the login app's client ID and the tenant's ID"

    async def check_login_method_settings(self) -> tuple[Status, str]:
        config = (await self.login_method()).get("config") or {}
        expected = {
            "support_groups": self.settings.support_groups,
            "pkce_enabled": self.settings.pkce_enabled,
            "conditional_access_enabled": self.settings.conditional_access_enabled,
        }
        # Cloudflare leaves false booleans out of its answers.
        wrong = [
            f"{key} is {bool(config.get(key))}, configured {value}"
            for key, value in expected.items()
            if bool(config.get(key)) != value
        ]
        if wrong:
            return Status.FAILS, "; ".join(wrong) + "; redeploy"
        return Status.HOLDS, ", ".join(f"{key} {value}" for key, value in expected.items()) + ", as configured"

    async def check_login_method_scim(self) -> tuple[Status, str]:
        scim = (await self.login_method()).get("scim_config") or {}
        configured = self.settings.scim
        expected: dict[str, Any] = {"enabled": configured.enabled}
        if configured.enabled:
            expected |= {
                "user_deprovision": configured.user_deprovision,
                "seat_deprovision": configured.seat_deprovision,
                "identity_update_behavior": configured.identity_update_behavior,
            }
        defaults: dict[str, Any] = {"identity_update_behavior": "no_action"}
        wrong = [
            f"{key} is {scim.get(key, defaults.get(key, False))}, configured {value}"
            for key, value in expected.items()
            if scim.get(key, defaults.get(key, False)) != value
        ]
        base_url = scim.get("scim_base_url")
        if configured.enabled and self.outputs.scim_endpoint and base_url and base_url != self.outputs.scim_endpoint:
            wrong.append(f"scim_base_url is {base_url}, the stack provisions to {self.outputs.scim_endpoint}")
        if wrong:
            return Status.FAILS, "; ".join(wrong) + "; redeploy"
        return Status.HOLDS, ", ".join(f"{key} {value}" for key, value in expected.items()) + ", as configured"

    async def check_received(self) -> tuple[Status, str]:
        users, groups, assignments = await asyncio.gather(
            self.scim_received("users"), self.scim_received("groups"), self.scim_assignments()
        )
        assigned_groups = sum(1 for a in assignments if a.get("principalType") == "Group")
        assigned_users = sum(1 for a in assignments if a.get("principalType") == "User")
        reason = (
            f"Cloudflare has {users} users and {groups} groups from SCIM; Entra assigns the SCIM app "
            f"{assigned_groups} groups and {assigned_users} users directly"
        )
        if groups < assigned_groups or (users == 0 and assigned_groups + assigned_users > 0):
            return Status.WARNS, reason + ": provisioning has not caught up (or is failing; see the job checks)"
        return Status.HOLDS, reason

    def _access_group_check(self, name: str, ref: GroupRef) -> CheckBody:
        async def check() -> tuple[Status, str]:
            group_id = self.outputs.access_group_ids.get(name)
            if not group_id:
                raise MissingOutputError(f"accessGroupIds['{name}']")
            object_id = self._group_object_id(ref)
            try:
                group = await self.access_group(group_id)
            except NotFoundError:
                return Status.FAILS, _deleted(self, f"the Access group {group_id}")
            declared = {"id": (object_id or "").lower(), "identity_provider_id": self.outputs.identity_provider_id}
            problems = access_rule_differences(group, declared)
            if problems:
                return Status.FAILS, "; ".join(problems) + f"; run 'make up STACK={self.settings.stack}'"
            return (
                Status.HOLDS,
                f"exactly one rule: include Entra group {ref.text} ({object_id}) on this login method",
            )

        return check


# Cloudflare's rule type for an Entra group in an Access rule (API field name; the SDKs say azure_ad).
AZURE_AD_RULE: Final = "azureAD"
ACCESS_RULE_SECTIONS: Final = ("include", "require", "exclude")


def _rule_text(section: str, rule: Any) -> str:
    if isinstance(rule, dict) and len(rule) == 1:
        (kind, value), *_ = rule.items()
        return f"{section} {kind}: {json.dumps(value, sort_keys=True)}"
    return f"{section} {json.dumps(rule, sort_keys=True)}"


def access_rule_differences(group: dict[str, Any], declared_azure: dict[str, str]) -> list[str]:
    """Every way an Access group's rules differ from what the stack declares: one include, the
    Entra group on this login method, and no require or exclude rule."""
    problems: list[str] = []
    include = list(group.get("include") or [])
    azure_rules: list[tuple[int, dict[str, Any]]] = []
    for index, rule in enumerate(include):
        azure = (rule.get(AZURE_AD_RULE) or rule.get("azure_ad")) if isinstance(rule, dict) else None
        if isinstance(azure, dict):
            azure_rules.append((index, azure))

    def normalized(azure: dict[str, Any]) -> dict[str, str]:
        return {"id": str(azure.get("id", "")).lower(), "identity_provider_id": str(azure.get("identity_provider_id"))}

    matching = next((index for index, azure in azure_rules if normalized(azure) == declared_azure), None)
    if matching is None and len(azure_rules) == 1:
        # One Entra rule that differs: name what changed rather than one missing and one extra rule.
        matching, azure = azure_rules[0]
        changed = normalized(azure)
        problems += [
            f"include {AZURE_AD_RULE} {key} is {azure.get(key)}, the stack declares {declared_azure[key]}"
            for key in ("id", "identity_provider_id")
            if changed[key] != declared_azure[key]
        ]
    elif matching is None:
        problems.append(f"include {AZURE_AD_RULE}: {json.dumps(declared_azure, sort_keys=True)} is missing")
    for index, rule in enumerate(include):
        if index != matching:
            problems.append(f"{_rule_text('include', rule)} is not declared")
    for section in ACCESS_RULE_SECTIONS[1:]:
        problems += [f"{_rule_text(section, rule)} is not declared" for rule in group.get(section) or []]
    return problems


class MissingOutputError(Exception):
    def __init__(self, output: str) -> None:
        super().__init__(f"the stack has no output {output}: redeploy with 'make up'")


# --- the command ----------------------------------------------------------------------------------


async def verify(
    stack: str, repair: bool, runtime: Runtime, canary_user: str | None = None, progress: TextIO = sys.stderr
) -> tuple[Report, list[str]]:
    """The report, and the secret values that must never be printed (to scrub output with)."""
    settings, endpoints, credential, cloudflare_secret = prerequisites("verify", stack, runtime)
    if canary_user and not settings.scim.enabled:
        raise CannotRunError([f"--canary needs SCIM provisioning: stack {stack} has scim.enabled: false"])
    graph_token = CredentialToken(credential, endpoints.graph_scope)
    retry = RetryPolicy(sleep=runtime.sleep)
    async with endpoints.http_client(runtime.transport) as http:
        # Signing in and reading the stack are independent: do both at once, and let both finish
        # (an abandoned `pulumi` subprocess would hold up the event loop's shutdown).
        stack_read, signed_in = await asyncio.gather(
            read_stack(stack, runtime.environ, runtime.root),
            sign_in(graph_token, endpoints, runtime.environ),
            return_exceptions=True,
        )
        problems = [str(e) for e in (stack_read, signed_in) if isinstance(e, StackError)]
        problems += [p for e in (stack_read, signed_in) if isinstance(e, CannotRunError) for p in e.problems]
        if problems:
            raise CannotRunError(problems)
        for outcome in (stack_read, signed_in):
            if isinstance(outcome, BaseException):
                raise outcome
        assert isinstance(stack_read, tuple)
        outputs, client_secret, stack_secrets = stack_read
        clients = Clients(
            graph=GraphClient(http, endpoints.graph_url, graph_token, retry),
            cloudflare=CloudflareClient(http, endpoints.cloudflare_url, StaticToken(cloudflare_secret), retry),
            login=EntraLoginClient(http, endpoints.login_url, retry),
        )
        # Any service may echo a secret of the stack: each client scrubs them before it shortens.
        for client in (clients.graph, clients.cloudflare, clients.login):
            client.secrets += [client_secret, *map(Secret, stack_secrets)]
        verification = Verification(
            settings,
            outputs,
            client_secret,
            clients,
            endpoints.graph_scope,
            runtime.now(),
            repair=repair,
            stack_secrets=stack_secrets,
        )

        canary = None
        if canary_user:
            missing = [
                str(MissingOutputError(name))
                for name, value in (
                    ("scimProvisioningJobId", outputs.scim_job_path),
                    ("scimServicePrincipalObjectId", outputs.scim_service_principal_object_id),
                )
                if not value
            ]
            if missing:
                raise CannotRunError(missing)
            canary = Canary(
                canary_user,
                clients.graph,
                clients.cloudflare,
                verification,
                verification._job_path(),
                f"{verification._idp_path()}/scim/users",
                settings.email_claim_name,
                settings.scim.scope == "all",
                lambda line: print(scrub(line, verification.secrets()), file=progress),
                runtime.sleep,
            )
        checks, found = await asyncio.gather(
            verification.run(), canary.run() if canary else asyncio.sleep(0, []), return_exceptions=True
        )
        if isinstance(found, UnknownUserError):
            raise CannotRunError([str(found)])
        if isinstance(checks, BaseException):
            raise checks
        if isinstance(found, BaseException):
            raise found
        checks += [Check(f.id, f.title, Status(f.status), f.reason) for f in found]
    header = (
        f"verify stack {stack}: tenant {outputs.tenant_id}, Cloudflare account {settings.cloudflare_account_id}, "
        f"team {outputs.team_domain}"
    )
    report = Report(stack, header, tuple(checks), canary.detail if canary else None, tuple(verification.unreachable))
    return report, verification.secrets()


def main(
    argv: list[str] | None = None,
    runtime: Runtime | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = arguments.verify_parser().parse_args(argv)
    runtime = runtime or Runtime()
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        report, secrets = asyncio.run(verify(args.stack, args.repair, runtime, args.canary, err))
    except CannotRunError as error:
        headline = needs.cannot_run("verify", args.stack)
        return needs.report_problems(headline, args.stack, EXIT_CANNOT_RUN, error.problems, args.json, out, err)
    except Exception as error:
        report_unexpected("verify", args.stack, error, runtime, err)
        return EXIT_CANNOT_RUN
    report = report.scrubbed(secrets)
    text = json.dumps(report.as_json(), indent=2) if args.json else report.as_text()
    out.write(text + "\n")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
