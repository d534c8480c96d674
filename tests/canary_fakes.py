"""Fakes for `verify --canary` (ops/canary.py): the tenant's people, the job's schema,
provisionOnDemand and what Cloudflare's SCIM users view then holds.

They refuse what Graph and Cloudflare refuse: an unknown user is a 404 in Graph's error shape; a
provisionOnDemand body without parameters, ruleId or subjects, with another objectTypeName or
with a rule ID the job's schema does not have is a 400; a sixth provisionOnDemand within 10 s
is a 429 with Retry-After (the documented limit is 5 per 10 s); memberOf pages with
@odata.nextLink; the SCIM view filters and pages with result_info. Under a deleted job the schema
and provisionOnDemand are 404s; to a deleted login method Entra's export fails and Cloudflare's
SCIM view is a 404. One call can be cut off the network on its own (`network_errors`), as httpx
raises it. Time is a FakeClock: the runtime sleeps on it, so rate limits and polling take no real
time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import respx
from harness import ACCOUNT_ID
from verify_fakes import (
    ALL_GRAPH_PERMISSIONS,
    CLOUDFLARE,
    DEPENDS_ON,
    GRAPH,
    IDP_ID,
    JOB_ID,
    PAGED,
    SCIM_SP_ID,
    USERS_GROUP_ID,
    FakeTenant,
    _cloudflare_error,
    _cloudflare_ok,
    _graph_error,
    _graph_page,
)

# A person whose mail differs from their UPN, so the email claim decides what Access sees.
ALICE_ID = "a11ce000-0000-4000-8000-0000000a11ce"
ALICE_UPN = "alice@acme-test.example"
ALICE_MAIL = "alice.smith@acme-test.example"
BOB_ID = "b0b00000-0000-4000-8000-000000000b0b"
BOB_UPN = "bob@acme-test.example"
OTHER_GROUP_ID = "6a000000-0000-4000-8000-0000000000f2"
USER_RULE_ID = "03f7c90d-bf71-41b1-bda6-aaf0ddbee5d8"
GROUP_RULE_ID = "03f7c90d-bf71-41b1-bda6-aaf0ddbee5d9"
RATE_LIMIT_CALLS = 5
RATE_LIMIT_WINDOW_SECONDS = 10.0

# Which fake calls wait for which, for the benchmark's longest chain (verify_fakes.DEPENDS_ON).
CANARY_DEPENDS_ON = {
    **DEPENDS_ON,
    "user": ("sign_in",),
    "schema": ("sign_in",),
    "member_of": ("user",),
    "provision_on_demand": ("user", "schema"),
    "arrival": ("provision_on_demand",),
}
# Each look at the SCIM view follows the one before (the polling), like pages of one list.
CANARY_PAGED = (*PAGED, "member_of", "arrival")


def person(object_id: str, upn: str, mail: str | None, enabled: bool = True) -> dict[str, Any]:
    return {
        "id": object_id,
        "displayName": upn.split("@")[0].title(),
        "userPrincipalName": upn,
        "mail": mail,
        "mailNickname": upn.split("@")[0],
        "accountEnabled": enabled,
    }


def user_rule(rule_id: str = USER_RULE_ID) -> dict[str, Any]:
    """A synchronizationRule as the job's schema holds it (Graph synchronizationSchema)."""
    return {
        "id": rule_id,
        "name": "USER_OUTBOUND_USER",
        "sourceDirectoryName": "Azure Active Directory",
        "targetDirectoryName": "customappsso",
        "objectMappings": [
            {"enabled": True, "name": "Provision Microsoft Entra ID Users", "sourceObjectName": "User",
             "targetObjectName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
            {"enabled": True, "name": "Provision Microsoft Entra ID Groups", "sourceObjectName": "Group",
             "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:Group"},
        ],
    }  # fmt: skip


@dataclass
class FakeClock:
    """Seconds that pass only when someone sleeps."""

    now: float = 1_000_000.0
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class CanaryTenant(FakeTenant):
    clock: FakeClock = field(default_factory=FakeClock)
    graph_permissions: set[str] = field(default_factory=lambda: set(ALL_GRAPH_PERMISSIONS) | {"User.Read.All"})
    people: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            ALICE_ID: person(ALICE_ID, ALICE_UPN, ALICE_MAIL),
            BOB_ID: person(BOB_ID, BOB_UPN, BOB_UPN),
        }
    )
    # Direct group memberships; Entra does not follow nested groups for app assignments.
    member_of: dict[str, list[str]] = field(
        default_factory=lambda: {ALICE_ID: [OTHER_GROUP_ID, USERS_GROUP_ID], BOB_ID: [OTHER_GROUP_ID]}
    )
    schema_rules: list[dict[str, Any]] = field(default_factory=lambda: [user_rule()])
    # The Entra attribute the SCIM app maps to emails[type eq "work"].value (Cloudflare's guide: mail).
    email_source: str = "mail"
    sync_all: bool = False  # the SyncAll credential: every user is in scope, assigned or not
    export_fails: bool = False
    export_failure: str = "HTTP 401 from the SCIM endpoint: the bearer token was rejected"
    visible_after: float = 0.0  # seconds before Cloudflare's SCIM view lists a person sent to it
    max_per_page: int = 50
    provision_calls: list[float] = field(default_factory=list)
    cloudflare_people: list[dict[str, Any]] = field(default_factory=list)
    # Route name -> the transport error each of its requests raises (DNS, refused connection, TLS).
    network_errors: dict[str, Exception] = field(default_factory=dict)

    def assignment(self, principal_id: str) -> dict[str, Any]:
        if principal_id in self.people:
            name = self.people[principal_id]["displayName"]
            return {"principalId": principal_id, "principalType": "User", "principalDisplayName": name}
        names = {USERS_GROUP_ID: "Cloudflare Users"}
        return {**super().assignment(principal_id), "principalDisplayName": names.get(principal_id, principal_id)}

    def _person(self, key: str) -> dict[str, Any] | None:
        key = unquote(key).lower()
        return next((p for p in self.people.values() if key in (p["id"], p["userPrincipalName"].lower())), None)

    # --- Microsoft Graph: people ------------------------------------------------------------------

    def _user(self, request: httpx.Request, key: str, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "User.Read.All")
        if denied:
            return denied
        found = self._person(key)
        if found is None:
            return _graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{unquote(key)}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
        return httpx.Response(200, json=found)

    def _users(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "User.Read.All")
        if denied:
            return denied
        query = parse_qs(request.url.query.decode())
        match = re.fullmatch(r"mail eq '((?:[^']|'')*)'", query.get("$filter", [""])[0])
        if match is None:
            return _graph_error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause.")
        mail = match.group(1).replace("''", "'").lower()
        return httpx.Response(
            200, json={"value": [p for p in self.people.values() if (p["mail"] or "").lower() == mail]}
        )

    def _memberships(self, request: httpx.Request, key: str, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Directory.Read.All")
        if denied:
            return denied
        found = self._person(key)
        if found is None:
            return _graph_error(404, "Request_ResourceNotFound", f"Resource '{unquote(key)}' does not exist.")
        groups = [{"@odata.type": "#microsoft.graph.group", "id": g} for g in self.member_of.get(found["id"], [])]
        return _graph_page(request, groups, self.page_size, f"{GRAPH}/users/{found['id']}/memberOf")

    # --- Microsoft Graph: the job's schema and provisionOnDemand ------------------------------------

    def _schema(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Synchronization.Read.All")
        if denied:
            return denied
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        return httpx.Response(200, json={"id": JOB_ID, "directories": [], "synchronizationRules": self.schema_rules})

    def _in_scope(self, object_id: str) -> bool:
        if self.sync_all:
            return True
        principals = {object_id, *self.member_of.get(object_id, [])}
        return bool(principals & set(self.scim_assignments))

    def _malformed(self, request: httpx.Request) -> tuple[str | None, dict[str, Any] | None]:
        try:
            body = json.loads(request.content)
        except ValueError:
            return "The request body is not valid JSON.", None
        parameters = body.get("parameters") if isinstance(body, dict) else None
        if not isinstance(parameters, list) or not parameters or not isinstance(parameters[0], dict):
            return "The 'parameters' collection is required.", None
        rule_id, subjects = parameters[0].get("ruleId"), parameters[0].get("subjects")
        if not isinstance(rule_id, str) or not rule_id:
            return "The 'ruleId' property is required.", None
        if not isinstance(subjects, list) or not subjects or not isinstance(subjects[0], dict):
            return "The 'subjects' collection is required.", None
        if rule_id not in {rule["id"] for rule in self.schema_rules}:
            return f"The synchronization rule '{rule_id}' is not defined in the job's schema.", None
        subject = subjects[0]
        if subject.get("objectTypeName") != "User":
            return f"The object type '{subject.get('objectTypeName')}' is not valid for this rule.", None
        found = self.people.get(str(subject.get("objectId")))
        if found is None:
            return f"The object '{subject.get('objectId')}' was not found in the source directory.", None
        return None, found

    def _provision_on_demand(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._graph_denied(request, "Synchronization.ReadWrite.All")
        if denied:
            return denied
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        now = self.clock.now
        recent = [t for t in self.provision_calls if now - t < RATE_LIMIT_WINDOW_SECONDS]
        if len(recent) >= RATE_LIMIT_CALLS:
            wait = math.ceil(RATE_LIMIT_WINDOW_SECONDS - (now - min(recent)))
            return _graph_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": str(wait)})
        self.provision_calls.append(now)
        problem, found = self._malformed(request)
        if found is None:
            return _graph_error(400, "BadRequest", problem or "Bad request.")
        return httpx.Response(200, json=self._provision(found))

    def _provision(self, found: dict[str, Any]) -> dict[str, Any]:
        """The documented stringKeyStringValuePair: `key` and `value` are JSON text."""
        upn = found["userPrincipalName"]
        steps = [
            {"name": "EntryImport", "type": "Import", "status": "Success",
             "description": f"Retrieved User '{upn}' from Azure Active Directory", "details": {}},
        ]  # fmt: skip
        if not self._in_scope(found["id"]):
            steps.append(
                {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Skipped",
                 "description": "Determine if User in scope by evaluating against each scoping filter",
                 "details": {"IsEffectivelyEntitledForProvisioning": "False"}}
            )  # fmt: skip
            return self._answer("Skipped", "NotEffectivelyEntitled", "The user is not assigned to the app.", steps)
        steps.append(
            {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
             "description": "Determine if User in scope by evaluating against each scoping filter", "details": {}}
        )  # fmt: skip
        if self.export_fails or not self.idp_exists:
            reason = self.export_failure if self.idp_exists else "HTTP 404 from the SCIM endpoint: Not Found"
            steps.append(
                {"name": "EntryExportAdd", "type": "Export", "status": "Failure",
                 "description": f"Failed to create User '{upn}' in customappsso: {reason}", "details": {}}
            )  # fmt: skip
            return self._answer("Failure", "SystemForCrossDomainIdentityManagementUnauthorized", reason, steps)
        record = {
            "id": f"cf-{found['id']}",
            "externalId": found["mailNickname"],
            "displayName": found["displayName"],
            "active": found["accountEnabled"],
            "emails": [{"value": found[self.email_source], "type": "work", "primary": True}],
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": upn,
            "visible_from": self.clock.now + self.visible_after,
        }
        self.cloudflare_people = [r for r in self.cloudflare_people if r["id"] != record["id"]] + [record]
        steps.append(
            {"name": "EntryExportAdd", "type": "Export", "status": "Success",
             "description": f"User '{upn}' was created in customappsso", "details": {}}
        )  # fmt: skip
        return self._answer("Success", None, None, steps, target_id=record["id"])

    @staticmethod
    def _answer(
        result: str,
        error_code: str | None,
        message: str | None,
        steps: list[dict[str, Any]],
        target_id: str | None = None,
    ) -> dict[str, Any]:
        details = {"errorCode": error_code, "errorMessage": message} if error_code else {}
        value = {
            "action": "Create" if result == "Success" else "Other",
            "provisioningSteps": steps,
            "statusInfo": {"status": result, "errorCode": error_code, "reason": message},
            "targetIdentity": {"id": target_id, "type": "urn:ietf:params:scim:schemas:core:2.0:User"},
            "targetSystem": {"name": "customappsso"},
        }
        return {
            "@odata.context": f"{GRAPH}/$metadata#microsoft.graph.stringKeyStringValuePair",
            "key": json.dumps({"result": result, "details": details}),
            "value": json.dumps(value),
        }

    # --- Cloudflare: the SCIM users view, filtered --------------------------------------------------

    def _arrival(self, request: httpx.Request, **_: Any) -> httpx.Response:
        denied = self._cloudflare_denied(request)
        if denied:
            return denied
        if not self.idp_exists:
            return _cloudflare_error(404, 12130, "access.api.error.not_found")
        params = request.url.params
        fields = {"cf_resource_id": "id", "username": "userName", "idp_resource_id": "externalId"}
        records = [r for r in self.cloudflare_people if r["visible_from"] <= self.clock.now]
        for param, key in fields.items():
            if param in params:
                records = [r for r in records if str(r[key]).lower() == params[param].lower()]
        if "email" in params:
            records = [r for r in records if any(e["value"] == params["email"] for e in r["emails"])]
        per_page = min(int(params.get("per_page", "20")), self.max_per_page)
        page = int(params.get("page", "1"))
        shown = [
            {k: v for k, v in r.items() if k not in ("userName", "visible_from")}
            for r in records[(page - 1) * per_page : page * per_page]
        ]
        pages = max(1, -(-len(records) // per_page))
        return _cloudflare_ok(
            shown,
            {
                "page": page,
                "per_page": per_page,
                "count": len(shown),
                "total_count": len(records),
                "total_pages": pages,
            },
        )

    def _route(self, router: respx.MockRouter, method: str, pattern: str, name: str, handler: Any) -> None:
        def cut_off(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            if name in self.network_errors:
                raise self.network_errors[name]
            response: httpx.Response = handler(request, **kwargs)
            return response

        super()._route(router, method, pattern, name, cut_off)

    def install(self, router: respx.MockRouter) -> None:
        graph = re.escape(GRAPH)
        job = re.escape(f"/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}")
        idp = re.escape(f"{CLOUDFLARE}/accounts/{ACCOUNT_ID}/access/identity_providers/{IDP_ID}")
        self._route(router, "GET", rf"^{graph}/users/(?P<key>[^/?]+)/memberOf(\?.*)?$", "member_of", self._memberships)
        self._route(router, "GET", rf"^{graph}/users/(?P<key>[^/?]+)(\?.*)?$", "user", self._user)
        self._route(router, "GET", rf"^{graph}/users(\?.*)?$", "users_by_mail", self._users)
        self._route(router, "GET", rf"^{graph}{job}/schema$", "schema", self._schema)
        self._route(
            router, "POST", rf"^{graph}{job}/provisionOnDemand$", "provision_on_demand", self._provision_on_demand
        )
        # The canary's filtered looks; the unfiltered count of verify's own check goes to FakeTenant's route.
        filtered = r"\?(.*&)?(cf_resource_id|username|email|idp_resource_id)="
        self._route(router, "GET", rf"^{idp}/scim/users{filtered}.*$", "arrival", self._arrival)
        super().install(router)
