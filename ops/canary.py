"""`make verify ARGS="--canary <user>"`: one person, end to end, from Entra to Cloudflare Access.

Test Connection proves that Entra reaches Cloudflare with the saved token. The canary proves that
one real person arrives in Cloudflare with the identity Access will see when they sign in:

1. look the person up in Entra (object ID, userPrincipalName, or mail);
2. check both assignments: in provisioning scope (assigned to the SCIM app, directly or through a
   group they are a direct member of) and, when the login app requires assignment, allowed to
   sign in;
3. provision them on demand on the stack's job, with the rule ID read from the job's schema, and
   report every provisioning step Entra took;
4. poll Cloudflare's SCIM users view until they arrive, then check they are active and that the
   email Cloudflare holds is the one Access takes from the sign-in token (`emailClaimName`).

Provisioning on demand really sends the person's profile to Cloudflare (a write), so the canary
runs only when asked for. ops/verify.py adds its findings to the report.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol
from urllib.parse import quote

from components import attribute_mappings
from ops import permissions
from ops.clients import ApiError, CloudflareClient, GraphClient, NotFoundError, odata_string

# How long, and how often, to look for the person in Cloudflare's SCIM view after provisioning.
POLL_BOUND_SECONDS: Final = 60.0
POLL_INTERVAL_SECONDS: Final = 5.0
# Source: Graph synchronizationJob: provisionOnDemand, example 1 (a user from Entra to an app):
# the subject's objectTypeName is "User", the name the schema's objectMappings give Entra users.
USER_OBJECT_TYPE: Final = attribute_mappings.USER_OBJECT
# Source: Graph provisioningStep / provisioningResult ("success", "warning", "failure", "skipped");
# provisionOnDemand answers with them capitalised ("Success").
STEP_FAILURE: Final = "failure"
STEP_SKIPPED: Final = "skipped"
# The skip Graph reports when Cloudflare already holds the person as Entra has them.
ALREADY_IN_SYNC: Final = "RedundantExport"
# Cloudflare's default when emailClaimName is not set (FACTS: configured claim, else email, else UPN).
DEFAULT_EMAIL_CLAIM: Final = "email"
UPN_CLAIM: Final = "preferred_username"
USER_FIELDS: Final = "id,displayName,userPrincipalName,mail,accountEnabled"


class UnknownUserError(Exception):
    """The --canary user does not exist in the tenant (or is ambiguous): verify cannot run."""


@dataclass(frozen=True)
class Finding:
    """One canary check: status is "holds", "warns", "fails" or "skipped" (ops.verify.Status values)."""

    id: str
    title: str
    status: str
    reason: str


@dataclass(frozen=True)
class ProvisioningStep:
    name: str
    type: str
    status: str
    description: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "status": self.status, "description": self.description}

    def line(self) -> str:
        return f"{self.name} ({self.type}): {self.status}" + (f": {self.description}" if self.description else "")


@dataclass(frozen=True)
class ProvisioningOutcome:
    """What provisionOnDemand answered, as Microsoft documents it."""

    result: str
    steps: tuple[ProvisioningStep, ...]
    error_code: str | None
    error_message: str | None
    reason: str | None
    target_id: str | None

    def failed_step(self) -> ProvisioningStep | None:
        return next((step for step in self.steps if step.status.lower() == STEP_FAILURE), None)

    def skipped_step(self) -> ProvisioningStep | None:
        return next((step for step in self.steps if step.status.lower() == STEP_SKIPPED), None)

    @property
    def failed(self) -> bool:
        return self.failed_step() is not None or self.result.lower() == STEP_FAILURE

    @property
    def skipped(self) -> bool:
        """Skipped for a reason other than Cloudflare already holding the person as Entra has them."""
        return self.result.lower() == STEP_SKIPPED and self.error_code != ALREADY_IN_SYNC

    def quoted(self, quote: Callable[[str], str]) -> ProvisioningOutcome:
        """The same outcome with every text Graph wrote in it scrubbed of secrets, then shortened."""

        def text(value: str | None) -> str | None:
            return quote(value) if value else value

        return replace(
            self,
            steps=tuple(replace(step, description=quote(step.description)) for step in self.steps),
            error_code=text(self.error_code),
            error_message=text(self.error_message),
            reason=text(self.reason),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "reason": self.reason,
            "targetId": self.target_id,
            "steps": [step.as_json() for step in self.steps],
        }


class UndocumentedAnswerError(ValueError):
    """provisionOnDemand answered with something other than its documented shape."""


def _json_text(body: dict[str, Any], name: str) -> dict[str, Any]:
    text = body.get(name)
    if not isinstance(text, str):
        raise UndocumentedAnswerError(f"'{name}' is {type(text).__name__}, not JSON text")
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        raise UndocumentedAnswerError(f"'{name}' is not JSON text") from None
    if not isinstance(value, dict):
        raise UndocumentedAnswerError(f"'{name}' holds {type(value).__name__}, not a JSON object")
    return value


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    child = parent.get(name)
    return child if isinstance(child, dict) else {}


def parse_provision_on_demand(body: Any) -> ProvisioningOutcome:
    """The answer of provisionOnDemand.

    Source: Graph synchronizationJob: provisionOnDemand, "Response" and example 1. The body is a
    stringKeyStringValuePair whose two strings are JSON text: `key` holds the overall result
    (`{"result": "Success"|"Skipped"|..., "details": {"errorCode", "errorMessage"}}`); `value`
    holds the provisioning record: `provisioningSteps[]` (name, type, status, description,
    details), `statusInfo` (status, errorCode, reason, ...) and `targetIdentity` (id: the
    object in the target system). Example 3 shows `value` may be "{}".
    """
    if not isinstance(body, dict):
        raise UndocumentedAnswerError("the answer is not a JSON object")
    key = _json_text(body, "key")
    value = _json_text(body, "value")
    details = _object(key, "details")
    status_info = _object(value, "statusInfo")
    steps = []
    for raw in value.get("provisioningSteps") or []:
        if not isinstance(raw, dict):
            raise UndocumentedAnswerError("a provisioning step is not a JSON object")
        steps.append(
            ProvisioningStep(
                name=str(raw.get("name") or "unnamed"),
                type=str(raw.get("type") or "unknown"),
                status=str(raw.get("status") or "unknown"),
                description=str(raw.get("description") or ""),
            )
        )
    target = _object(value, "targetIdentity")
    return ProvisioningOutcome(
        result=str(key.get("result") or status_info.get("status") or "unknown"),
        steps=tuple(steps),
        error_code=details.get("errorCode") or status_info.get("errorCode"),
        error_message=details.get("errorMessage"),
        reason=status_info.get("reason"),
        target_id=target.get("id") or None,
    )


def user_rule_id(schema: Any) -> tuple[str | None, str]:
    """The ID of the job schema's rule that provisions Entra users, or None and why not.

    A job's synchronizationRules each map source objects to target objects. The rule to provision
    a person with is the one holding the enabled objectMapping from Entra's User
    (attribute_mappings.enabled_user_mappings; Graph synchronizationSchema; Microsoft's Q&A on
    provision on demand: outbound apps have one such rule, some apps add inbound rules). The ID
    differs per job, so it is never hard-coded; more than one candidate is reported rather than
    guessed between.
    """
    candidates: list[Mapping[str, Any]] = []
    for rule, _mapping in attribute_mappings.enabled_user_mappings(schema or {}):
        if not any(rule is known for known in candidates):
            candidates.append(rule)
    if len(candidates) == 1 and candidates[0].get("id"):
        return str(candidates[0]["id"]), ""
    if not candidates:
        return None, "the job's schema has no rule with an enabled mapping of Entra users (sourceObjectName User)"
    named = ", ".join(f"{rule.get('name') or 'unnamed'} ({rule.get('id')})" for rule in candidates)
    return None, f"the job's schema has {len(candidates)} rules that map Entra users ({named}): cannot tell which"


def user_name_sent(user: Mapping[str, Any], schema: Any) -> str:
    """The userName Entra sends for `user`: the attribute the job's schema maps to `userName`.

    Microsoft's default maps it from userPrincipalName; where UPNs are not email addresses the
    documented remedy maps it from mail (docs/operations.md, "When UPNs are not email addresses").
    A mapping the lookup did not read (another attribute, an expression) leaves the UPN.
    """
    try:
        source = (attribute_mappings.user_mappings(schema or {}).get("userName") or {}).get("source") or {}
    except attribute_mappings.SchemaShapeError:
        source = {}
    if source.get("type", "Attribute") == "Attribute" and source.get("name") == "mail" and user.get("mail"):
        return str(user["mail"])
    return str(user.get("userPrincipalName"))


class SharedCalls(Protocol):
    """What the canary shares with verify (ops.verify.Verification): the calls verify makes anyway,
    each made once; how verify tells a failed call that is no verdict (a host it cannot reach, an
    object deleted and reported once, by the check that owns it); and how it quotes a service."""

    def login_service_principal(self) -> Awaitable[Any]: ...

    def login_assignments(self) -> Awaitable[Any]: ...

    def scim_assignments(self) -> Awaitable[Any]: ...

    def scim_schema(self) -> Awaitable[Any]: ...

    def login_method(self) -> Awaitable[Any]: ...

    def no_verdict(self, check_id: str, error: ApiError) -> Awaitable[tuple[str, str] | None]: ...

    def quote(self, text: str | None) -> str: ...


def _holds(check_id: str, title: str, reason: str) -> Finding:
    return Finding(check_id, title, "holds", reason)


def _fails(check_id: str, title: str, reason: str) -> Finding:
    return Finding(check_id, title, "fails", reason)


def _after(check: tuple[str, str], prerequisite: Finding) -> Finding:
    """A check that could not be made because the one it depends on did not hold: skipped for the
    same cause when that one was skipped too, else because it failed (reported there, once)."""
    if prerequisite.status == "skipped":
        return Finding(*check, "skipped", prerequisite.reason)
    return Finding(*check, "skipped", f"skipped: '{prerequisite.title}' failed")


USER_CHECK = ("canary.user", "Canary user")
SCOPE_CHECK = ("canary.provisioning-scope", "Canary in provisioning scope")
SIGN_IN_CHECK = ("canary.sign-in-assignment", "Canary may sign in")
PROVISION_CHECK = ("canary.provision-on-demand", "Canary provisioned on demand")
ARRIVAL_CHECK = ("canary.arrival", "Canary arrived in Cloudflare")
EMAIL_CHECK = ("canary.email", "Canary email matches sign-in")
AFTER_LOOKUP = (SCOPE_CHECK, SIGN_IN_CHECK, PROVISION_CHECK, ARRIVAL_CHECK, EMAIL_CHECK)


@dataclass
class Canary:
    subject: str
    graph: GraphClient
    cloudflare: CloudflareClient
    shared: SharedCalls
    job_path: str
    cloudflare_users_path: str
    email_claim: str | None
    provisions_everyone: bool  # scim.scope all (SyncAll): assignments do not limit provisioning
    progress: Callable[[str], None]
    sleep: Callable[[float], Awaitable[None]]
    poll_bound: float = POLL_BOUND_SECONDS
    poll_interval: float = POLL_INTERVAL_SECONDS
    detail: dict[str, Any] = field(default_factory=dict)

    # --- 1. the person ----------------------------------------------------------------------------

    async def lookup(self) -> dict[str, Any]:
        """The user by object ID or userPrincipalName, else by mail; UnknownUserError when none.

        Source: Graph "Get user" (`GET /users/{id | userPrincipalName}`) and "List users"
        (`$filter=mail eq '...'`, a default-supported filter on mail).
        """
        params = {"$select": USER_FIELDS}
        try:
            # Quoted as one path segment: guest UPNs carry '#', which would otherwise end the path.
            return dict(
                await self.graph.get(
                    f"/users/{quote(self.subject, safe='@')}", permission=permissions.USER_READ, params=params
                )
            )
        except NotFoundError:
            if "@" not in self.subject:
                raise UnknownUserError(f"--canary {self.subject}: no user with this object ID in the tenant") from None
        found = await self.graph.list(
            "/users",
            permission=permissions.USER_READ,
            params={**params, "$filter": f"mail eq {odata_string(self.subject)}"},
        )
        if not found:
            raise UnknownUserError(
                f"--canary {self.subject}: no user with this userPrincipalName or mail in the tenant"
            )
        if len(found) > 1:
            names = ", ".join(str(user.get("userPrincipalName")) for user in found)
            raise UnknownUserError(
                f"--canary {self.subject}: {len(found)} users have this mail ({names}); name one by userPrincipalName"
            )
        return dict(found[0])

    # --- running ----------------------------------------------------------------------------------

    async def run(self) -> list[Finding]:
        schema = self.shared.scim_schema()
        try:
            user = await self.lookup()
        except (ApiError, UnknownUserError) as error:
            # The schema read is shared with verify: awaited, so a failure of it is never left unretrieved.
            await asyncio.gather(schema, return_exceptions=True)
            if isinstance(error, UnknownUserError):
                raise
            looked_up = await self._unjudged(USER_CHECK, error) or _fails(
                *USER_CHECK, f"could not look the user up: {error}"
            )
            return [looked_up] + [_after(check, looked_up) for check in AFTER_LOOKUP]
        upn = str(user.get("userPrincipalName") or "")
        self.detail["user"] = {"id": user.get("id"), "userPrincipalName": upn, "mail": user.get("mail")}
        memberships = asyncio.ensure_future(
            self.graph.list(
                f"/users/{user['id']}/memberOf", permission=permissions.MEMBERSHIP_READ, params={"$select": "id"}
            )
        )
        # Provisioning does not wait for the assignment checks: Entra skips a person out of scope
        # itself (and says so in its steps), so the canary's chain stays lookup -> provision -> view.
        provisioning = asyncio.ensure_future(self._provision(user, schema))
        scope, sign_in = await asyncio.gather(
            self._guard(SCOPE_CHECK, lambda: self._scope(user, memberships)),
            self._guard(SIGN_IN_CHECK, lambda: self._sign_in(user, memberships)),
        )
        # Neither check reads the memberships with scope `all` and no assignment required: retrieve
        # a failure of that read here, or asyncio reports it as never retrieved at shutdown.
        await asyncio.gather(memberships, return_exceptions=True)
        provisioned, outcome = await provisioning
        arrival, email = await self._arrival(user, provisioned, outcome, schema)
        return [self._user_finding(user), scope, sign_in, provisioned, arrival, email]

    async def _unjudged(self, check: tuple[str, str], error: ApiError) -> Finding | None:
        """The finding when a failed call is no verdict on `check` (ops.verify.Verification.no_verdict):
        an unreachable host, or an object another check reports deleted. None when it is a verdict."""
        unjudged = await self.shared.no_verdict(check[0], error)
        return Finding(*check, str(unjudged[0]), unjudged[1]) if unjudged else None

    async def _deleted_login_method(self, check: tuple[str, str]) -> Finding | None:
        """A skip when the login method was deleted: Entra's export to it and Cloudflare's SCIM view
        of it fail then too, but verify's login method check reports the root cause, once."""
        try:
            await self.shared.login_method()
        except NotFoundError as error:
            return await self._unjudged(check, error)
        except ApiError:
            return None  # verify's own checks report it
        return None

    async def _guard(self, check: tuple[str, str], body: Callable[[], Awaitable[Finding]]) -> Finding:
        try:
            return await body()
        except ApiError as error:
            return await self._unjudged(check, error) or _fails(*check, f"could not check: {error}")

    def _user_finding(self, user: dict[str, Any]) -> Finding:
        described = f"{user.get('userPrincipalName')} (object ID {user.get('id')}, mail {user.get('mail') or 'none'})"
        if user.get("accountEnabled") is False:
            return _fails(*USER_CHECK, f"{described} is disabled: Entra refuses their sign-in")
        return _holds(*USER_CHECK, described)

    # --- 2. both assignments ----------------------------------------------------------------------

    @staticmethod
    def _assigned_through(user: dict[str, Any], groups: set[str], assignments: list[dict[str, Any]]) -> list[str]:
        """How the user is assigned: directly, or through a group they are a direct member of.

        Entra does not follow nested groups for app assignments (group-based assignment), so only
        direct memberships count.
        """
        through = []
        for assignment in assignments:
            principal = str(assignment.get("principalId", "")).lower()
            name = assignment.get("principalDisplayName") or principal
            if principal == str(user.get("id", "")).lower():
                through.append("directly")
            elif principal in groups:
                through.append(f"through group {name} ({principal})")
        return through

    async def _groups(self, memberships: asyncio.Future[Any]) -> set[str]:
        return {str(item.get("id", "")).lower() for item in await memberships}

    async def _assignment(
        self,
        check: tuple[str, str],
        app: str,
        assignments: Awaitable[Any],
        user: dict[str, Any],
        memberships: asyncio.Future[Any],
        consequence: str,
    ) -> Finding:
        groups, listed = await asyncio.gather(self._groups(memberships), assignments)
        through = self._assigned_through(user, groups, listed)
        if through:
            return _holds(*check, f"assigned to the {app} {', '.join(through)}")
        return _fails(
            *check,
            f"not assigned to the {app}, directly or through a group they are a direct member of "
            f"(Entra does not follow nested groups): {consequence}",
        )

    async def _scope(self, user: dict[str, Any], memberships: asyncio.Future[Any]) -> Finding:
        if self.provisions_everyone:
            return _holds(*SCOPE_CHECK, "scim.scope is all: Entra provisions every user, assigned or not")
        consequence = "Entra never provisions them; add them to a scim.groups group"
        scim = self.shared.scim_assignments()
        return await self._assignment(SCOPE_CHECK, "SCIM app", scim, user, memberships, consequence)

    async def _sign_in(self, user: dict[str, Any], memberships: asyncio.Future[Any]) -> Finding:
        service_principal = await self.shared.login_service_principal()
        if not service_principal.get("appRoleAssignmentRequired"):
            return _holds(*SIGN_IN_CHECK, "the login app does not require assignment: anyone in the tenant may sign in")
        consequence = (
            "it requires assignment, so Entra refuses their sign-in (AADSTS50105); add them to a signInGroups group"
        )
        login = self.shared.login_assignments()
        return await self._assignment(SIGN_IN_CHECK, "login app", login, user, memberships, consequence)

    # --- 3. provision on demand -------------------------------------------------------------------

    async def _provision(
        self, user: dict[str, Any], schema: Awaitable[Any]
    ) -> tuple[Finding, ProvisioningOutcome | None]:
        try:
            rule_id, why_not = user_rule_id(await schema)
            if rule_id is None:
                return _fails(*PROVISION_CHECK, f"not attempted: {why_not}"), None
            self.detail["ruleId"] = rule_id
            self.progress(f"canary: provisioning {user.get('userPrincipalName')} on demand (rule {rule_id})")
            # Source: Graph synchronizationJob: provisionOnDemand, request body of example 1.
            subject = {"objectId": user["id"], "objectTypeName": USER_OBJECT_TYPE}
            body = {"parameters": [{"ruleId": rule_id, "subjects": [subject]}]}
            answer = await self.graph.post(
                f"{self.job_path}/provisionOnDemand", body, permission=permissions.SYNCHRONIZATION_READWRITE
            )
        except ApiError as error:
            could_not = f"could not provision on demand: {error}"
            return await self._unjudged(PROVISION_CHECK, error) or _fails(*PROVISION_CHECK, could_not), None
        try:
            # Graph's texts may echo a token: scrubbed before they are shortened, never the other way.
            outcome = parse_provision_on_demand(answer).quoted(self.shared.quote)
        except UndocumentedAnswerError as error:
            undocumented = f"Graph's answer is not the documented stringKeyStringValuePair: {error}"
            return _fails(*PROVISION_CHECK, undocumented), None
        self.detail["provisioning"] = outcome.as_json()
        for number, step in enumerate(outcome.steps, 1):
            self.progress(f"canary: step {number}/{len(outcome.steps)} {step.line()}")
        if outcome.failed:
            deleted = await self._deleted_login_method(PROVISION_CHECK)
            if deleted:
                return deleted, None
        return self._provision_finding(outcome), outcome

    @staticmethod
    def _provision_finding(outcome: ProvisioningOutcome) -> Finding:
        steps = "; ".join(f"{step.name} ({step.type}) {step.status}" for step in outcome.steps) or "none reported"
        failed = outcome.failed_step()
        cause = outcome.error_message or outcome.reason or outcome.error_code
        if outcome.failed:
            where = f"failed at step {failed.name} ({failed.type}): {failed.description}" if failed else "failed"
            because = f"; reason: {cause}" if cause else ""
            return _fails(*PROVISION_CHECK, f"{where}{because}; steps: {steps}")
        skipped = outcome.skipped_step()
        if outcome.skipped:
            where = f"skipped at step {skipped.name} ({skipped.type}): {skipped.description}" if skipped else "skipped"
            because = f"; reason: {cause}" if cause else ""
            return _fails(*PROVISION_CHECK, f"{where}{because}: Entra did not send them to Cloudflare; steps: {steps}")
        if outcome.result.lower() == STEP_SKIPPED:
            return _holds(*PROVISION_CHECK, f"already up to date in Cloudflare ({ALREADY_IN_SYNC}); steps: {steps}")
        return _holds(*PROVISION_CHECK, f"{outcome.result}; steps: {steps}")

    # --- 4. the arrival ---------------------------------------------------------------------------

    def _expected_email(self, user: dict[str, Any]) -> tuple[str | None, str]:
        """The email Access takes from this person's sign-in token, and where it comes from."""
        claim = self.email_claim or DEFAULT_EMAIL_CLAIM
        upn = user.get("userPrincipalName")
        if claim == DEFAULT_EMAIL_CLAIM:
            if user.get("mail"):
                return str(user["mail"]), f"the '{claim}' claim, the user's mail"
            return upn, f"the UPN: the user has no mail, so the token has no '{claim}' claim"
        if claim == UPN_CLAIM:
            return upn, f"the '{claim}' claim, the user's UPN"
        return None, f"the '{claim}' claim (emailClaimName), whose value the canary cannot know"

    async def _find(
        self, user: dict[str, Any], outcome: ProvisioningOutcome, schema: Awaitable[Any]
    ) -> dict[str, Any] | None:
        """The person in Cloudflare's SCIM users view, polled for up to `poll_bound` seconds.

        Source: Cloudflare API "List SCIM User resources" (filters cf_resource_id, username;
        result_info paging). provisionOnDemand names the Cloudflare resource it wrote
        (targetIdentity.id); without it, the person is looked for by the userName Entra sent.
        """
        if outcome.target_id:
            params, wanted = {"cf_resource_id": outcome.target_id}, f"SCIM resource {outcome.target_id}"
        else:
            user_name = user_name_sent(user, await schema)
            params, wanted = {"username": user_name}, f"userName {user_name}"
        waited = 0.0
        while True:
            records = await self.cloudflare.list(
                self.cloudflare_users_path, permission=permissions.CLOUDFLARE_ACCESS_READ, params=params
            )
            if outcome.target_id:
                records = [record for record in records if record.get("id") == outcome.target_id]
            if records:
                return next((record for record in records if record.get("active")), records[0])
            if waited >= self.poll_bound:
                return None
            self.progress(
                f"canary: {wanted} not in Cloudflare's SCIM view yet; looking again in "
                f"{self.poll_interval:.0f} s ({waited:.0f} of {self.poll_bound:.0f} s waited)"
            )
            await self.sleep(self.poll_interval)
            waited += self.poll_interval

    async def _arrival(
        self, user: dict[str, Any], provisioned: Finding, outcome: ProvisioningOutcome | None, schema: Awaitable[Any]
    ) -> tuple[Finding, Finding]:
        if outcome is None or outcome.failed or outcome.skipped:
            return _after(ARRIVAL_CHECK, provisioned), _after(EMAIL_CHECK, provisioned)
        try:
            record = await self._find(user, outcome, schema)
        except ApiError as error:
            deleted = await self._deleted_login_method(ARRIVAL_CHECK) if isinstance(error, NotFoundError) else None
            arrival = (
                deleted
                or await self._unjudged(ARRIVAL_CHECK, error)
                or _fails(*ARRIVAL_CHECK, f"could not check: {error}")
            )
            return arrival, _after(EMAIL_CHECK, arrival)
        if record is None:
            missing = (
                f"not in Cloudflare's SCIM users view after {self.poll_bound:.0f} s, although Entra reports them sent"
            )
            arrival = _fails(*ARRIVAL_CHECK, missing)
            return arrival, _after(EMAIL_CHECK, arrival)
        emails = [e for e in record.get("emails") or [] if isinstance(e, dict) and e.get("value")]
        held = next((e for e in emails if e.get("primary")), emails[0] if emails else {}).get("value")
        self.detail["cloudflare"] = {"id": record.get("id"), "active": record.get("active"), "email": held}
        if record.get("active"):
            arrival = _holds(*ARRIVAL_CHECK, f"SCIM resource {record.get('id')} is active")
        else:
            inactive = f"SCIM resource {record.get('id')} arrived inactive: Access treats them as removed"
            arrival = _fails(*ARRIVAL_CHECK, inactive)
        return arrival, self._email_finding(user, held)

    def _email_finding(self, user: dict[str, Any], held: str | None) -> Finding:
        expected, source = self._expected_email(user)
        self.detail["expectedEmail"] = expected
        if expected is None:
            return Finding(*EMAIL_CHECK, "warns", f"Cloudflare holds {held or 'no email'}; Access takes {source}")
        if held and held.casefold() == expected.casefold():
            return _holds(*EMAIL_CHECK, f"Cloudflare holds {held}, which Access takes from {source}")
        return _fails(
            *EMAIL_CHECK,
            f"Cloudflare holds {held or 'no email'}, but Access takes {expected} from {source}: this person's SCIM "
            "groups would not attach to their Access identity; map the SCIM email from the same attribute "
            "(or set emailClaimName)",
        )
