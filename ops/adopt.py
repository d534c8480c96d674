"""`make adopt`: find a setup made by hand and record it as the stack's `adopt` block.

    venv/bin/python -m ops.adopt --stack <stack> [--write] [--json]

Reads the stack file (the names of the existing objects are `loginAppName`,
`identityProviderName` and `scim.appName`, the groups are the stack's own), finds each object
by its exact name in Entra (Microsoft Graph) and Cloudflare, and reports three parts: found
(logical name -> import ID), not found (the stack will create it) and never importable (created
new). It also lists the login app's client secrets made by hand, which keep working until their
own expiry, and the provisioning job's User attribute mappings changed by hand from its template.
With `--write` the found objects become the stack file's `entra-cloudflare:adopt` block and those
mappings its `scim.userAttributes`, edited as text so every comment survives, and the file is
validated again afterwards.

Exit codes: 0 discovered (and written with --write), 1 a name is ambiguous or the written file
did not validate (nothing is kept), 2 could not run. See docs/adopt.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import yaml

from components import adoption, attribute_mappings
from components.constants import (
    CLOUDFLARE_AZURE_AD_TYPE,
    DEFAULT_ACCESS_APP_ROLE_ID,
    MICROSOFT_GRAPH_APP_ID,
    NON_GALLERY_TEMPLATE_ID,
    NON_GALLERY_USER_APP_ROLE_ID,
    SCIM_JOB_TEMPLATE_ID,
)
from components.group_names import GroupRef, slug
from config import stack_yaml
from config.settings import Settings, SettingsError, settings_from_stack_file
from config.stack_files import PROJECT_NAME, StackFileError, read_stack_config, stack_file
from ops import arguments, needs, permissions
from ops.clients import (
    ApiError,
    CloudflareClient,
    CredentialToken,
    GraphClient,
    NotFoundError,
    RetryPolicy,
    StaticToken,
    odata_string,
)
from ops.command import Runtime, prerequisites, report_unexpected
from ops.redaction import scrub
from ops.sign_in import CannotRunError, sign_in

EXIT_OK: Final = 0
EXIT_AMBIGUOUS: Final = 1
EXIT_CANNOT_RUN: Final = 2

ADOPT_KEY: Final = f"{PROJECT_NAME}:adopt"
SCIM_KEY: Final = f"{PROJECT_NAME}:scim"
USER_ATTRIBUTES_KEY: Final = "userAttributes"
TENANT_WIDE_CONSENT: Final = "AllPrincipals"
GROUP_PRINCIPAL: Final = "Group"

# Written above the block, and removed with it, so a reviewer sees where it came from.
_BLOCK_COMMENT: Final = (
    "  # Objects made by hand, taken over by the next `make up` (written by `make adopt`; docs/adopt.md)."
)


@dataclass(frozen=True)
class Found:
    name: str
    what: str
    import_id: str


@dataclass(frozen=True)
class NotFound:
    name: str
    what: str
    reason: str


@dataclass(frozen=True)
class HandMadeSecret:
    key_id: str
    display_name: str
    end: str


@dataclass
class Discovery:
    """What one run found; `ambiguous` entries name every ID sharing a name."""

    stack: str
    account_id: str
    found: list[Found] = field(default_factory=list)
    not_found: list[NotFound] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    secrets: list[HandMadeSecret] = field(default_factory=list)
    # The job's User mappings changed by hand from its template (written as scim.userAttributes),
    # and what was changed by hand but cannot be written there.
    user_attributes: dict[str, str] = field(default_factory=dict)
    mapping_notes: list[str] = field(default_factory=list)

    @property
    def adopt(self) -> dict[str, str]:
        return {item.name: item.import_id for item in self.found}

    def never_imported(self) -> list[tuple[str, str]]:
        return sorted(adoption.NOT_IMPORTABLE.items())


class WriteError(Exception):
    """The stack file with the new block did not validate; the original was restored."""


# --- import IDs ------------------------------------------------------------------------------------


def rules_for(settings: Settings) -> dict[str, adoption.ImportRule]:
    """components.adoption's rules for this stack: the only logical names and ID forms allowed."""
    return adoption.import_rules(
        settings.cloudflare_account_id,
        [ref.slug for ref in settings.sign_in_groups],
        settings.scim.enabled,
        [ref.slug for ref in settings.scim.groups],
        [slug(name) for name in settings.access_groups],
    )


def check_import_ids(adopt: Mapping[str, str], settings: Settings) -> None:
    """Refuse any produced entry the program would reject: a bug here must never reach a stack file."""
    problems = adoption.adopt_problems(adopt, rules_for(settings))
    if problems:
        raise AssertionError("; ".join(f"{key}: {value!r} is not {expected}" for key, value, expected in problems))


# --- discovery -------------------------------------------------------------------------------------


def _ids(items: list[dict[str, Any]]) -> str:
    return " and ".join(str(item.get("id")) for item in items)


@dataclass
class Discoverer:
    """Finds the stack's objects. Each REST call is a shared task, so independent ones run at once."""

    settings: Settings
    graph: GraphClient
    cloudflare: CloudflareClient
    result: Discovery
    _tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)

    def _once(self, key: str, call: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        if key not in self._tasks:
            self._tasks[key] = asyncio.ensure_future(call())
        return self._tasks[key]

    def _found(self, name: str, what: str, import_id: str) -> None:
        self.result.found.append(Found(name, what, import_id))

    def _missing(self, name: str, what: str, reason: str) -> None:
        self.result.not_found.append(NotFound(name, what, reason))

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self.login())
            if self.settings.scim.enabled:
                group.create_task(self.scim())
            group.create_task(self.login_method())
            group.create_task(self.access_groups())
        order = list(rules_for(self.settings))
        self.result.found.sort(key=lambda item: order.index(item.name))
        self.result.not_found.sort(key=lambda item: order.index(item.name) if item.name in order else len(order))

    # --- Entra -------------------------------------------------------------------------------------

    def _group(self, ref: GroupRef) -> asyncio.Task[Any]:
        """The group's object ID, or None when no group has the name (the deployment fails then too)."""

        async def resolve() -> str | None:
            if ref.object_id is not None:
                return ref.object_id
            groups = await self.graph.find_by_display_name(
                "/groups", ref.text, permission=permissions.GROUP_READ, select="id,displayName"
            )
            if len(groups) > 1:
                self.result.ambiguous.append(f"two Entra groups are named {ref.text!r}: {_ids(groups)}")
                return None
            return str(groups[0]["id"]) if groups else None

        return self._once(f"group:{ref}", resolve)

    async def _one_app(self, display_name: str, what: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(application, service principal) with this exact display name; None where there is none."""
        apps = await self.graph.find_by_display_name(
            "/applications", display_name, permission=permissions.APPLICATION_READ, select="id,appId,displayName"
        )
        if len(apps) > 1:
            self.result.ambiguous.append(f"two Entra apps are named {display_name!r} ({what}): {_ids(apps)}")
            return None, None
        if not apps:
            return None, None
        app = apps[0]
        principals = await self.graph.list(
            "/servicePrincipals",
            permission=permissions.APPLICATION_READ,
            params={
                "$filter": f"appId eq {odata_string(str(app['appId']))}",
                "$select": "id,appId,displayName,applicationTemplateId",
            },
        )
        if len(principals) > 1:
            self.result.ambiguous.append(
                f"two service principals belong to the app {display_name!r} ({what}): {_ids(principals)}"
            )
            return app, None
        return app, (principals[0] if principals else None)

    async def _graph_service_principal(self) -> str | None:
        principals = await self.graph.list(
            "/servicePrincipals",
            permission=permissions.APPLICATION_READ,
            params={"$filter": f"appId eq {odata_string(MICROSOFT_GRAPH_APP_ID)}", "$select": "id,appId"},
        )
        return str(principals[0]["id"]) if principals else None

    async def _assignments(
        self, prefix: str, principal_id: str, refs: tuple[GroupRef, ...], app_role_id: str, what: str
    ) -> None:
        assigned, *object_ids = await asyncio.gather(
            self.graph.list(
                f"/servicePrincipals/{principal_id}/appRoleAssignedTo", permission=permissions.APPLICATION_READ
            ),
            *(self._group(ref) for ref in refs),
        )
        for ref, object_id in zip(refs, object_ids, strict=True):
            name = f"{prefix}-assignment-{ref.slug}"
            label = f"{what} assignment of group {ref.text!r}"
            if object_id is None:
                self._missing(name, label, f"no Entra group is named {ref.text!r}")
                continue
            mine = [
                a for a in assigned if a.get("principalType") == GROUP_PRINCIPAL and a.get("principalId") == object_id
            ]
            matching = [a for a in mine if a.get("appRoleId") == app_role_id]
            if matching:
                self._found(name, label, f"/servicePrincipals/{principal_id}/appRoleAssignedTo/{matching[0]['id']}")
            elif mine:
                roles = ", ".join(sorted({str(a.get("appRoleId")) for a in mine}))
                self._missing(
                    name, label, f"assigned with another app role ({roles}); the stack adds its own assignment"
                )
            else:
                self._missing(name, label, "not assigned")

    async def login(self) -> None:
        name = self.settings.login_app_name
        app, principal = await self._one_app(name, "loginAppName")
        if app is None:
            reason = f"no Entra app is named {name!r}"
            self._missing(f"{adoption.LOGIN}-app", "login app", reason)
            self._missing(f"{adoption.LOGIN}-service-principal", "login app's service principal", reason)
            self._missing(f"{adoption.LOGIN}-consent-grant", "admin consent to Microsoft Graph", reason)
            for ref in self.settings.sign_in_groups:
                self._missing(
                    f"{adoption.LOGIN}-assignment-{ref.slug}", f"sign-in assignment of group {ref.text!r}", reason
                )
            return
        self._found(f"{adoption.LOGIN}-app", f"login app {name!r}", f"/applications/{app['id']}")
        details = self._once(
            "login_app",
            lambda: self.graph.get(
                f"/applications/{app['id']}",
                permission=permissions.APPLICATION_READ,
                params={"$select": "id,passwordCredentials"},
            ),
        )
        if principal is None:
            reason = f"the app {name!r} has no service principal"
            self._missing(f"{adoption.LOGIN}-service-principal", "login app's service principal", reason)
            self._missing(f"{adoption.LOGIN}-consent-grant", "admin consent to Microsoft Graph", reason)
            for ref in self.settings.sign_in_groups:
                self._missing(
                    f"{adoption.LOGIN}-assignment-{ref.slug}", f"sign-in assignment of group {ref.text!r}", reason
                )
        else:
            principal_id = str(principal["id"])
            self._found(f"{adoption.LOGIN}-service-principal", "login app's service principal", principal_id)
            await asyncio.gather(
                self._consent(principal_id),
                self._assignments(
                    adoption.LOGIN, principal_id, self.settings.sign_in_groups, DEFAULT_ACCESS_APP_ROLE_ID, "sign-in"
                ),
            )
        body = await details
        self.result.secrets = [
            HandMadeSecret(str(c.get("keyId")), str(c.get("displayName") or ""), str(c.get("endDateTime") or ""))
            for c in (body.get("passwordCredentials") or [])
        ]

    async def _consent(self, principal_id: str) -> None:
        name = f"{adoption.LOGIN}-consent-grant"
        what = "admin consent to Microsoft Graph"
        graph_id = await self._graph_service_principal()
        if graph_id is None:
            self._missing(name, what, "Microsoft Graph has no service principal in this tenant")
            return
        grants = await self.graph.list(
            "/oauth2PermissionGrants",
            permission=permissions.DIRECTORY_READ,
            params={"$filter": f"clientId eq {odata_string(principal_id)} and resourceId eq {odata_string(graph_id)}"},
        )
        tenant_wide = [g for g in grants if g.get("consentType") == TENANT_WIDE_CONSENT]
        if tenant_wide:
            self._found(name, f"{what} (tenant-wide)", f"/oauth2PermissionGrants/{tenant_wide[0]['id']}")
        elif grants:
            self._missing(name, what, "only per-user consent exists; the stack grants tenant-wide consent")
        else:
            self._missing(name, what, "no consent granted")

    async def scim(self) -> None:
        scim = self.settings.scim
        app, principal = await self._one_app(scim.app_name, "scim.appName")
        job_name = f"{adoption.SCIM}-job"
        assignment_names = [(f"{adoption.SCIM}-assignment-{ref.slug}", ref) for ref in scim.groups]

        def dependents_missing(reason: str) -> None:
            self._missing(job_name, "provisioning job", reason)
            for name, ref in assignment_names:
                self._missing(name, f"provisioning assignment of group {ref.text!r}", reason)

        if app is None or principal is None:
            reason = (
                f"no Entra app is named {scim.app_name!r}"
                if app is None
                else f"the app {scim.app_name!r} has no service principal"
            )
            self._missing(f"{adoption.SCIM}-app", "SCIM app", reason)
            dependents_missing(reason)
            return
        template = principal.get("applicationTemplateId")
        if template != NON_GALLERY_TEMPLATE_ID:
            reason = (
                f"the app {scim.app_name!r} was not made from the non-gallery template {NON_GALLERY_TEMPLATE_ID} "
                f"(its template: {template or 'none'}), which its import ID requires: not adoptable; rename or "
                "remove it, or set scim.appName to another name, so the stack's new SCIM app is not a second one"
            )
            self._missing(f"{adoption.SCIM}-app", "SCIM app", reason)
            dependents_missing("the SCIM app is not adoptable")
            return
        principal_id = str(principal["id"])
        self._found(
            f"{adoption.SCIM}-app",
            f"SCIM app {scim.app_name!r} and its service principal",
            f"/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}/instantiate/{app['id']}/{principal_id}",
        )
        await asyncio.gather(
            self._job(principal_id),
            self._assignments(adoption.SCIM, principal_id, scim.groups, NON_GALLERY_USER_APP_ROLE_ID, "provisioning"),
        )

    async def _job(self, principal_id: str) -> None:
        name = f"{adoption.SCIM}-job"
        jobs = await self.graph.list(
            f"/servicePrincipals/{principal_id}/synchronization/jobs", permission=permissions.SYNCHRONIZATION_READ
        )
        scim_jobs = [job for job in jobs if job.get("templateId") == SCIM_JOB_TEMPLATE_ID]
        candidates = scim_jobs or (jobs if len(jobs) == 1 else [])
        if len(candidates) > 1:
            self.result.ambiguous.append(
                f"the SCIM app has {len(candidates)} '{SCIM_JOB_TEMPLATE_ID}' provisioning jobs: {_ids(candidates)}"
            )
        elif candidates:
            job = candidates[0]
            job_path = f"/servicePrincipals/{principal_id}/synchronization/jobs/{job['id']}"
            self._found(name, f"provisioning job (template {job.get('templateId')})", job_path)
            await self._customised_mappings(principal_id, job_path, str(job.get("templateId")))
        elif jobs:
            self._missing(
                name, "provisioning job", f"none of its {len(jobs)} jobs uses the '{SCIM_JOB_TEMPLATE_ID}' template"
            )
        else:
            self._missing(name, "provisioning job", "provisioning was never set up")

    async def _customised_mappings(self, principal_id: str, job_path: str, template_id: str) -> None:
        """The job's User mappings that differ from its template's: what a deployment that manages
        mappings must know, so taking over never resets them to Microsoft's."""
        try:
            job_schema, template_schema = await asyncio.gather(
                self.graph.get(f"{job_path}/schema", permission=permissions.SYNCHRONIZATION_READ),
                self.graph.get(
                    f"/servicePrincipals/{principal_id}/synchronization/templates/{template_id}/schema",
                    permission=permissions.SYNCHRONIZATION_READ,
                ),
            )
            live = attribute_mappings.user_mappings(job_schema)
            template = attribute_mappings.user_mappings(template_schema)
        except (NotFoundError, attribute_mappings.SchemaShapeError) as error:
            self.result.mapping_notes.append(f"attribute mappings not compared with the template: {error}")
            return
        for target, item in live.items():
            source = item.get("source")
            if attribute_mappings.source_key(source) == attribute_mappings.source_key(
                (template.get(target) or {}).get("source")
            ):
                continue
            text = attribute_mappings.source_text(source) or ""
            problem = attribute_mappings.target_problem(target) or attribute_mappings.source_problem(text)
            required = attribute_mappings.REQUIRED_USER_ATTRIBUTES.get(target)
            if problem:
                self.result.mapping_notes.append(
                    f"{target} <- {text}: not written, scim.userAttributes expects {problem}"
                )
            elif required is not None and text != required:
                self.result.mapping_notes.append(
                    f"{target} <- {text}: not written; Cloudflare requires {required}, which a deployment that "
                    "manages mappings writes"
                )
            else:
                self.result.user_attributes[target] = text
        for target in sorted(set(template) - set(live)):
            self.result.mapping_notes.append(
                f"{target}: removed by hand; scim.userAttributes cannot remove a mapping, so it stays removed "
                "unless a mapping for it is declared"
            )

    # --- Cloudflare --------------------------------------------------------------------------------

    def _account_path(self, what: str) -> str:
        return f"/accounts/{self.settings.cloudflare_account_id}/access/{what}"

    async def login_method(self) -> None:
        name = self.settings.identity_provider_name
        logical = f"{adoption.IDENTITY_PROVIDER}-login-method"
        methods = await self.cloudflare.list(
            self._account_path("identity_providers"), permission=permissions.CLOUDFLARE_ACCESS_READ
        )
        named = [m for m in methods if m.get("name") == name]
        entra = [m for m in named if m.get("type") == CLOUDFLARE_AZURE_AD_TYPE]
        if len(entra) > 1:
            self.result.ambiguous.append(f"two Cloudflare login methods are named {name!r}: {_ids(entra)}")
        elif entra:
            self._found(
                logical,
                f"Cloudflare login method {name!r}",
                f"accounts/{self.settings.cloudflare_account_id}/{entra[0]['id']}",
            )
        elif named:
            types = ", ".join(sorted({str(m.get("type")) for m in named}))
            self._missing(
                logical, "Cloudflare login method", f"{name!r} exists with type {types}, not {CLOUDFLARE_AZURE_AD_TYPE}"
            )
        else:
            self._missing(logical, "Cloudflare login method", f"no login method is named {name!r}")

    async def access_groups(self) -> None:
        if not self.settings.access_groups:
            return
        groups = await self.cloudflare.list(self._account_path("groups"), permission=permissions.CLOUDFLARE_ACCESS_READ)
        for name in self.settings.access_groups:
            logical = f"{adoption.ACCESS_GROUPS}-{slug(name)}"
            named = [g for g in groups if g.get("name") == name]
            if len(named) > 1:
                self.result.ambiguous.append(f"two Cloudflare Access groups are named {name!r}: {_ids(named)}")
            elif named:
                self._found(
                    logical,
                    f"Access group {name!r}",
                    f"accounts/{self.settings.cloudflare_account_id}/{named[0]['id']}",
                )
            else:
                self._missing(logical, "Access group", f"no Access group is named {name!r}")


# --- the stack file ----------------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """`value` as YAML: plain when it reads back as the same string both as Pulumi reads stack files
    (YAML 1.2, config/stack_yaml.py) and as YAML 1.1 tools do; else double-quoted."""
    try:
        if all(load(f"k: {value}") == {"k": value} for load in (stack_yaml.load, yaml.safe_load)):
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value)


def render_block(adopt: Mapping[str, str]) -> list[str]:
    """The `adopt` block as it is written into the `config:` mapping (2-space indentation)."""
    if not adopt:
        return []
    return [
        _BLOCK_COMMENT,
        f"  {ADOPT_KEY}:",
        *(f"    {_scalar(name)}: {_scalar(value)}" for name, value in adopt.items()),
    ]


def _user_attribute_lines(mappings: Mapping[str, str], indent: int) -> list[str]:
    """A `userAttributes` key at `indent` spaces, with its mappings two spaces further in."""
    return [
        f"{' ' * indent}{USER_ATTRIBUTES_KEY}:",
        *(f"{' ' * (indent + 2)}{_scalar(target)}: {_scalar(source)}" for target, source in mappings.items()),
    ]


def render_scim_block(mappings: Mapping[str, str]) -> list[str]:
    """A new `scim` object holding only `mappings`, as it is written into the `config:` mapping."""
    return [f"  {SCIM_KEY}:", *_user_attribute_lines(mappings, 4)] if mappings else []


def _top_level(line: str) -> bool:
    return bool(line) and not line[0].isspace() and not line.startswith("#")


def _config_section(lines: list[str], what: str) -> tuple[int, int]:
    """(index of the `config:` line, index after its last line)."""
    start = next((i for i, line in enumerate(lines) if re.match(r"^config:\s*(#.*)?$", line)), None)
    if start is None:
        raise WriteError(f"the stack file has no block-style `config:` mapping to add {what} to")
    return start, next((i for i in range(start + 1, len(lines)) if _top_level(lines[i])), len(lines))


def replace_block(text: str, adopt: Mapping[str, str]) -> str:
    """`text` without any `adopt` block, and with a fresh one last in `config:`; every other line kept."""
    lines = text.splitlines()
    start, end = _config_section(lines, "the adopt block")
    section = lines[start + 1 : end]
    kept: list[str] = []
    index = 0
    key = re.compile(rf"^  {re.escape(ADOPT_KEY)}\s*:")
    while index < len(section):
        line = section[index]
        if key.match(line):
            if kept and kept[-1] == _BLOCK_COMMENT:
                kept.pop()
            index += 1
            while index < len(section) and section[index].startswith("   ") and section[index].strip():
                index += 1
            continue
        kept.append(line)
        index += 1
    last = max((i for i, line in enumerate(kept) if line.startswith(" ") and line.strip()), default=-1)
    kept[last + 1 : last + 1] = render_block(adopt)
    result = [*lines[: start + 1], *kept, *lines[end:]]
    return "\n".join(result) + "\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def replace_user_attributes(text: str, mappings: Mapping[str, str]) -> str:
    """`text` whose `scim` object holds `mappings` as its `userAttributes` (an old one replaced),
    the `scim` object added last in `config:` when there is none; every other line kept."""
    if not mappings:
        return text
    lines = text.splitlines()
    start, end = _config_section(lines, "scim.userAttributes")
    scim = next((i for i in range(start + 1, end) if re.match(rf"^  {re.escape(SCIM_KEY)}\s*:", lines[i])), None)
    if scim is None:
        last = max((i for i in range(start + 1, end) if lines[i].startswith(" ") and lines[i].strip()), default=start)
        return "\n".join([*lines[: last + 1], *render_scim_block(mappings), *lines[last + 1 :]]) + "\n"
    if not re.match(rf"^  {re.escape(SCIM_KEY)}\s*:\s*(#.*)?$", lines[scim]):
        raise WriteError(f"{SCIM_KEY} is written in flow style; write it as a block mapping to add userAttributes")
    children = scim + 1
    while children < end and (not lines[children].strip() or _indent(lines[children]) > 2):
        children += 1
    inner = next((_indent(line) for line in lines[scim + 1 : children] if line.strip()), 4)
    kept: list[str] = []
    index = scim + 1
    while index < children:
        line = lines[index]
        if _indent(line) == inner and re.match(rf"^\s*{USER_ATTRIBUTES_KEY}\s*:", line):
            index += 1
            while index < children and (not lines[index].strip() or _indent(lines[index]) > inner):
                index += 1
            continue
        kept.append(line)
        index += 1
    trailing: list[str] = []
    while kept and not kept[-1].strip():
        trailing.insert(0, kept.pop())
    block = _user_attribute_lines(mappings, inner)
    return "\n".join([*lines[: scim + 1], *kept, *block, *trailing, *lines[children:]]) + "\n"


def declared_user_attributes(path: Path) -> dict[str, str]:
    """The `scim.userAttributes` a stack file declares itself (without Cloudflare's defaults)."""
    scim = read_stack_config(path).get(SCIM_KEY)
    declared = scim.get(USER_ATTRIBUTES_KEY) if isinstance(scim, dict) else None
    return {str(key): str(value) for key, value in declared.items()} if isinstance(declared, dict) else {}


def write_adopt(
    stack: str, root: Path, adopt: Mapping[str, str], user_attributes: Mapping[str, str] | None = None
) -> Path:
    """Write the block (and the mappings changed by hand, the stack file's own declarations winning)
    into the stack file and prove it validates; on failure restore the original."""
    path = stack_file(stack, root)
    original = path.read_text()
    mappings = {**user_attributes, **declared_user_attributes(path)} if user_attributes else {}
    updated = replace_user_attributes(replace_block(original, adopt), mappings)
    temporary = path.with_name(f".{path.name}.adopt")
    temporary.write_text(updated)
    os.replace(temporary, path)
    try:
        written = settings_from_stack_file(stack, root)
    except (SettingsError, StackFileError) as error:
        path.write_text(original)
        raise WriteError(f"the written stack file did not validate, so the original was restored: {error}") from None
    if dict(written.adopt) != dict(adopt) or any(
        written.scim.user_attributes.get(target) != source for target, source in mappings.items()
    ):
        path.write_text(original)
        raise WriteError("what was written did not read back as written, so the original was restored")
    return path


# --- the report --------------------------------------------------------------------------------------


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    if not rows:
        return [f"{indent}(none)"]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        indent + "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]


def as_text(result: Discovery, path: str, written: bool) -> str:
    lines = [f"make adopt, stack {result.stack}: Entra tenant and Cloudflare account {result.account_id}", ""]
    lines.append("Found (taken over by the next `make up`):")
    lines += _table([(f.name, f.what, f.import_id) for f in result.found])
    lines += ["", "Not found (the stack will create it):"]
    lines += _table([(n.name, n.what, n.reason) for n in result.not_found])
    lines += ["", "Never imported (the stack creates them new):"]
    lines += _table(list(result.never_imported()))
    lines += [
        "",
        "Client secrets of the login app made by hand (they keep working until they expire; remove them once "
        "`make verify` passes, docs/adopt.md):",
    ]
    lines += _table([("keyId " + s.key_id, s.display_name or "(no name)", "expires " + s.end) for s in result.secrets])
    lines += ["", "Attribute mappings changed by hand from the provisioning template (kept as scim.userAttributes):"]
    lines += _table([(target, "<-", source) for target, source in result.user_attributes.items()])
    lines += [f"  note: {note}" for note in result.mapping_notes]
    lines.append("")
    block = render_block(result.adopt)
    scim = render_scim_block(result.user_attributes)
    if written:
        lines.append(
            f"Written to {path} (validated): {len(result.adopt)} adopt entries, "
            f"{len(result.user_attributes)} scim.userAttributes entries. Review the diff in a PR."
        )
    elif block or scim:
        lines.append(f"Dry run: nothing written. With --write this goes into {path}:")
        lines += block[1:] + scim
    else:
        lines.append("Dry run: nothing written. Nothing was found, so there is no adopt block to write.")
    return "\n".join(lines)


def as_json(result: Discovery, path: str, written: bool) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "exitCode": EXIT_OK,
        "stackFile": path,
        "written": written,
        "dryRun": not written,
        "found": [{"name": f.name, "what": f.what, "importId": f.import_id} for f in result.found],
        "notFound": [{"name": n.name, "what": n.what, "reason": n.reason} for n in result.not_found],
        "neverImported": [{"name": name, "reason": reason} for name, reason in result.never_imported()],
        "loginAppClientSecrets": [
            {"keyId": s.key_id, "displayName": s.display_name, "endDateTime": s.end} for s in result.secrets
        ],
        "adopt": result.adopt,
        "userAttributes": result.user_attributes,
        "attributeMappingNotes": result.mapping_notes,
    }


# --- the command -------------------------------------------------------------------------------------


def _first_failure(group: BaseExceptionGroup[Any]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_failure(error)
        return error
    return group


async def discover(stack: str, runtime: Runtime) -> tuple[Discovery, list[str]]:
    """What was found, and the secret values that must never be printed."""
    settings, endpoints, credential, cloudflare_secret = prerequisites("adopt", stack, runtime)
    graph_token = CredentialToken(credential, endpoints.graph_scope)
    retry = RetryPolicy(sleep=runtime.sleep)
    result = Discovery(stack, settings.cloudflare_account_id)
    async with endpoints.http_client(runtime.transport) as http:
        await sign_in(graph_token, endpoints, runtime.environ)
        discoverer = Discoverer(
            settings,
            GraphClient(http, endpoints.graph_url, graph_token, retry),
            CloudflareClient(http, endpoints.cloudflare_url, StaticToken(cloudflare_secret), retry),
            result,
        )
        try:
            await discoverer.run()
        except BaseExceptionGroup as group:
            error = _first_failure(group)
            if isinstance(error, ApiError):
                raise CannotRunError([error.describe()]) from None
            raise error from None
    check_import_ids(result.adopt, settings)
    return result, [cloudflare_secret.reveal(), *graph_token.known_values()]


def main(
    argv: list[str] | None = None,
    runtime: Runtime | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = arguments.adopt_parser().parse_args(argv)
    runtime = runtime or Runtime()
    out = stdout or sys.stdout
    err = stderr or sys.stderr

    def fail(code: int, headline: str, problems: list[str], secrets: Sequence[str] = ()) -> int:
        shown = [scrub(problem, secrets) for problem in problems]
        return needs.report_problems(headline, args.stack, code, shown, args.json, out, err)

    try:
        result, secrets = asyncio.run(discover(args.stack, runtime))
    except CannotRunError as error:
        return fail(EXIT_CANNOT_RUN, needs.cannot_run("adopt", args.stack), error.problems)
    except Exception as error:
        report_unexpected("adopt", args.stack, error, runtime, err)
        return EXIT_CANNOT_RUN
    if result.ambiguous:
        return fail(
            EXIT_AMBIGUOUS,
            f"Stack {args.stack}: names are ambiguous, nothing written (rename one object, or point the stack "
            "file at the other name)",
            result.ambiguous,
            secrets,
        )
    path = stack_file(args.stack, runtime.root)
    shown = str(path.relative_to(runtime.root)) if path.is_relative_to(runtime.root) else str(path)
    written = False
    if args.write:
        try:
            write_adopt(args.stack, runtime.root, result.adopt, result.user_attributes)
        except WriteError as error:
            return fail(EXIT_AMBIGUOUS, f"Stack {args.stack}: the adopt block was not written", [str(error)], secrets)
        written = True
    text = json.dumps(as_json(result, shown, written), indent=2) if args.json else as_text(result, shown, written)
    out.write(scrub(text, secrets) + "\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
