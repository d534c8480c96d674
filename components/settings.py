"""Stack settings: the one place that reads and validates configuration.

`load_settings` turns raw stack config (key -> value, as Pulumi hands it over) into one typed,
immutable `Settings` object, or raises `SettingsError` listing every problem at once, each
naming the key, the bad value and what is expected. It runs before any resource is declared,
so a bad stack file touches nothing. No component reads `pulumi.Config` itself.

Everything here is plain Python (no Pulumi), so every rule is tested directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.constants import ADVISED_SECRET_LIFETIME_DAYS, MAX_SECRET_LIFETIME_DAYS
from components.stack_files import PROJECT_NAME, ROOT, read_stack_config, stack_file

PROMPT_VALUES = ("login", "select_account", "none")
IDENTITY_UPDATE_BEHAVIORS = ("automatic", "reauth", "no_action")

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Text made only of hex digits and dashes, with a dash, is somebody's attempt at an object ID.
_GUID_LIKE = re.compile(r"^[0-9a-fA-F-]*-[0-9a-fA-F-]*$")
# A Zero Trust team name is one DNS label.
_TEAM_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")


@dataclass(frozen=True)
class ConfigKey:
    """One user-facing config key: its type as Pulumi.yaml would declare it, and its meaning."""

    name: str
    kind: str  # "string", "boolean", "integer", "array" or "object"
    description: str
    default: Any = None


# The user-facing contract, in the order the README documents it. Pulumi.yaml declares every
# key except the objects (Pulumi's project config has no object type); a test keeps them equal.
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("cloudflareAccountId", "string", "Cloudflare account ID (32 hex characters). Required."),
    ConfigKey(
        "teamName",
        "string",
        "Zero Trust team name (<team>.cloudflareaccess.com). Default: read from the account's "
        "Zero Trust organization at deploy time.",
    ),
    ConfigKey("loginAppName", "string", "Display name of the Entra login app. Default: 'Cloudflare Access (<stack>)'."),
    ConfigKey(
        "identityProviderName",
        "string",
        "Name of the Cloudflare login method. Default: 'Entra ID (<stack>)'.",
    ),
    ConfigKey("pkceEnabled", "boolean", "Use PKCE on every sign-in.", True),
    ConfigKey("supportGroups", "boolean", "Send Entra group memberships to Cloudflare (group claims).", True),
    ConfigKey("conditionalAccessEnabled", "boolean", "Cloudflare honours Entra Conditional Access.", False),
    ConfigKey("prompt", "string", "Sign-in prompt Entra shows: login, select_account or none. Default: Entra's own."),
    ConfigKey("emailClaimName", "string", "Claim Cloudflare reads the email from. Default: Cloudflare's (email)."),
    ConfigKey(
        "signInGroups",
        "array",
        "Entra groups allowed to sign in, each a display name or an object ID.",
        [],
    ),
    ConfigKey(
        "assignmentRequired",
        "boolean",
        "Only users in signInGroups (and Global Administrators) can sign in.",
        True,
    ),
    ConfigKey("protect", "boolean", "Protect the long-lived identity objects from deletion.", False),
    ConfigKey(
        "scim",
        "object",
        "SCIM provisioning: enabled, userDeprovision, seatDeprovision, identityUpdateBehavior, "
        "groups, appName (see README).",
    ),
    ConfigKey("secretRotationDays", "integer", "Length of one client-secret rotation window, in days.", 90),
    ConfigKey(
        "secretGraceDays",
        "integer",
        "Days a secret stays valid after its window ends, so a missed redeploy locks nobody out.",
        30,
    ),
    ConfigKey(
        "accessGroups",
        "object",
        "Cloudflare Access group name -> Entra group (display name or object ID).",
        {},
    ),
)
CONFIG_KEYS_BY_NAME = {key.name: key for key in CONFIG_KEYS}

SCIM_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("enabled", "boolean", "Provision users and groups to Cloudflare over SCIM.", True),
    ConfigKey(
        "userDeprovision",
        "boolean",
        "Revoke a user's Cloudflare sessions when Entra deprovisions the user.",
        True,
    ),
    ConfigKey(
        "seatDeprovision",
        "boolean",
        "Also remove the user's Zero Trust seat (needs userDeprovision).",
        False,
    ),
    ConfigKey(
        "identityUpdateBehavior",
        "string",
        "On a group change: automatic, reauth or no_action.",
        "reauth",
    ),
    ConfigKey("groups", "array", "Entra groups to provision. Default: the sign-in groups."),
    ConfigKey("appName", "string", "Display name of the SCIM app. Default: 'Cloudflare Access SCIM (<stack>)'."),
)
SCIM_KEYS_BY_NAME = {key.name: key for key in SCIM_KEYS}


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    expected: str

    def __str__(self) -> str:
        return f"{self.key}: got {self.value!r}; expected {self.expected}"


class SettingsError(ValueError):
    """Every problem found in a stack's config, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True, order=True)
class GroupRef:
    """An Entra group as the user named it: by object ID, or by display name resolved at deploy."""

    text: str

    @property
    def object_id(self) -> str | None:
        return self.text.lower() if _GUID.match(self.text) else None

    @property
    def display_name(self) -> str | None:
        return None if self.object_id else self.text

    @property
    def slug(self) -> str:
        return slugify(self.text)


def slugify(text: str) -> str:
    """Stable, readable part of a resource's logical name derived from a user-given name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


@dataclass(frozen=True)
class ScimSettings:
    enabled: bool
    user_deprovision: bool
    seat_deprovision: bool
    identity_update_behavior: str
    groups: tuple[GroupRef, ...]
    app_name: str


@dataclass(frozen=True)
class Settings:
    """Everything the stack needs from its config, validated. Field order follows CONFIG_KEYS."""

    stack: str
    cloudflare_account_id: str
    team_name: str | None
    login_app_name: str
    identity_provider_name: str
    pkce_enabled: bool
    support_groups: bool
    conditional_access_enabled: bool
    prompt: str | None
    email_claim_name: str | None
    sign_in_groups: tuple[GroupRef, ...]
    assignment_required: bool
    protect: bool
    scim: ScimSettings
    secret_rotation_days: int
    secret_grace_days: int
    access_groups: Mapping[str, GroupRef] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def referenced_groups(self) -> tuple[GroupRef, ...]:
        """Every distinct group the stack refers to, sign-in first, in a stable order."""
        ordered = [*self.sign_in_groups, *self.scim.groups, *self.access_groups.values()]
        return tuple(dict.fromkeys(ordered))


class _Reader:
    """Collects problems while converting raw config values to typed ones."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Group lists with a rejected item: not also reported as empty.
        self.lists_with_bad_items: set[str] = set()

    def fail(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(key, value, expected))

    def decode(self, key: str, raw: Any, kind: str) -> Any:
        """Pulumi hands non-string config to programs as JSON text; accept both forms."""
        if kind == "string" or not isinstance(raw, str):
            return raw
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw

    def typed(self, key: str, raw: Any, kind: str, default: Any) -> Any:
        if raw is None:
            return default
        value = self.decode(key, raw, kind)
        checks: dict[str, tuple[Callable[[Any], bool], str]] = {
            "string": (lambda v: isinstance(v, str), "a string"),
            "boolean": (lambda v: isinstance(v, bool), "true or false"),
            "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
            "array": (lambda v: isinstance(v, list), "a list"),
            "object": (lambda v: isinstance(v, dict), "a mapping of keys to values"),
        }
        check, expected = checks[kind]
        if not check(value):
            self.fail(key, value, expected)
            return default
        return value

    def optional_text(self, key: str, value: str | None) -> str | None:
        if value is not None and not value.strip():
            self.fail(key, value, "a non-empty string, or the key left out")
            return None
        return value

    def groups(self, key: str, values: list[Any]) -> tuple[GroupRef, ...]:
        refs: list[GroupRef] = []
        for index, item in enumerate(values):
            ref = self.group(f"{key}[{index}]", item)
            if ref is None:
                self.lists_with_bad_items.add(key)
            else:
                refs.append(ref)
        return tuple(dict.fromkeys(refs))

    def group(self, key: str, item: Any) -> GroupRef | None:
        if not isinstance(item, str) or not item.strip():
            self.fail(key, item, "an Entra group display name or object ID (a non-empty string)")
            return None
        text = item.strip()
        if not _GUID.match(text) and _GUID_LIKE.match(text):
            self.fail(key, item, "an object ID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits)")
            return None
        return GroupRef(text)

    def check_unknown(self, prefix: str, given: Mapping[str, Any], known: Mapping[str, ConfigKey]) -> None:
        for name in given:
            if name not in known:
                self.fail(f"{prefix}{name}", given[name], f"one of the known keys: {', '.join(known)}")


def load_settings(raw: Mapping[str, Any], stack: str) -> Settings:
    """Validate raw stack config (unprefixed key -> value) and build the stack's Settings."""
    read = _Reader()
    read.check_unknown("", raw, CONFIG_KEYS_BY_NAME)

    def get(name: str) -> Any:
        key = CONFIG_KEYS_BY_NAME[name]
        return read.typed(name, raw.get(name), key.kind, key.default)

    account_id = get("cloudflareAccountId")
    if account_id is None:
        read.fail(
            "cloudflareAccountId", None, "the Cloudflare account ID (32 lowercase hex characters); it is required"
        )
    elif not _ACCOUNT_ID.match(account_id):
        read.fail("cloudflareAccountId", account_id, "32 lowercase hex characters, as in the dashboard URL")

    team_name = get("teamName")
    if team_name is not None and not _TEAM_NAME.match(team_name):
        read.fail(
            "teamName",
            team_name,
            "the bare team name (lowercase letters, digits and inner dashes, as in "
            "<team>.cloudflareaccess.com), or the key left out to read it from Cloudflare",
        )
        team_name = None

    login_app_name = read.optional_text("loginAppName", get("loginAppName"))
    idp_name = read.optional_text("identityProviderName", get("identityProviderName"))

    prompt = get("prompt")
    if prompt is not None and prompt not in PROMPT_VALUES:
        read.fail("prompt", prompt, f"one of {', '.join(PROMPT_VALUES)}, or the key left out")
        prompt = None

    email_claim_name = get("emailClaimName")
    if email_claim_name is not None and not _CLAIM_NAME.match(email_claim_name):
        read.fail("emailClaimName", email_claim_name, "a claim name such as email or preferred_username")
        email_claim_name = None

    pkce_enabled = get("pkceEnabled")
    conditional_access_enabled = get("conditionalAccessEnabled")
    protect = get("protect")
    support_groups = get("supportGroups")
    sign_in_groups = read.groups("signInGroups", get("signInGroups"))
    assignment_required = get("assignmentRequired")
    if assignment_required and not sign_in_groups and "signInGroups" not in read.lists_with_bad_items:
        read.fail(
            "signInGroups",
            [],
            "at least one group while assignmentRequired is true, or nobody but Global "
            "Administrators could sign in (or set assignmentRequired: false)",
        )

    scim = _scim_settings(read, get("scim") or {}, sign_in_groups, stack)
    rotation_days, grace_days, warnings = _rotation(read, get("secretRotationDays"), get("secretGraceDays"))
    access_groups = _access_groups(read, get("accessGroups"), support_groups)

    first_named_in: dict[GroupRef, str] = {}
    for key, refs in (
        ("signInGroups", sign_in_groups),
        ("scim.groups", scim.groups),
        ("accessGroups", tuple(access_groups.values())),
    ):
        for ref in refs:
            first_named_in.setdefault(ref, key)
    slugs: dict[str, GroupRef] = {}
    for ref, key in first_named_in.items():
        other = slugs.setdefault(ref.slug, ref)
        if other != ref:
            read.fail(
                key,
                ref.text,
                f"group names that stay distinct when lowercased with punctuation removed; "
                f"{ref.text!r} and {other.text!r} collide (name one of them by object ID)",
            )

    if read.problems:
        raise SettingsError(read.problems)

    return Settings(
        stack=stack,
        cloudflare_account_id=account_id,
        team_name=team_name,
        login_app_name=login_app_name or f"Cloudflare Access ({stack})",
        identity_provider_name=idp_name or f"Entra ID ({stack})",
        pkce_enabled=pkce_enabled,
        support_groups=support_groups,
        conditional_access_enabled=conditional_access_enabled,
        prompt=prompt,
        email_claim_name=email_claim_name,
        sign_in_groups=sign_in_groups,
        assignment_required=assignment_required,
        protect=protect,
        scim=scim,
        secret_rotation_days=rotation_days,
        secret_grace_days=grace_days,
        access_groups=access_groups,
        warnings=warnings,
    )


def _scim_settings(
    read: _Reader, raw: dict[str, Any], sign_in_groups: tuple[GroupRef, ...], stack: str
) -> ScimSettings:
    read.check_unknown("scim.", raw, SCIM_KEYS_BY_NAME)

    def get(name: str) -> Any:
        key = SCIM_KEYS_BY_NAME[name]
        return read.typed(f"scim.{name}", raw.get(name), key.kind, key.default)

    enabled = get("enabled")
    user_deprovision = get("userDeprovision")
    seat_deprovision = get("seatDeprovision")
    if seat_deprovision and not user_deprovision:
        read.fail(
            "scim.seatDeprovision",
            True,
            "false while scim.userDeprovision is false: Cloudflare removes seats only as part of deprovisioning a user",
        )
    behavior = get("identityUpdateBehavior")
    if behavior not in IDENTITY_UPDATE_BEHAVIORS:
        read.fail("scim.identityUpdateBehavior", behavior, f"one of {', '.join(IDENTITY_UPDATE_BEHAVIORS)}")
    raw_groups = get("groups")
    groups = sign_in_groups if raw_groups is None else read.groups("scim.groups", raw_groups)
    inherited_from_reported = raw_groups is None and any(p.key == "signInGroups" for p in read.problems)
    if enabled and not groups and not read.lists_with_bad_items and not inherited_from_reported:
        read.fail(
            "scim.groups",
            raw_groups if raw_groups is not None else [],
            "at least one group to provision while SCIM is enabled (provisioning syncs only assigned "
            "groups, so nothing would reach Cloudflare), or scim.enabled: false",
        )
    app_name = read.optional_text("scim.appName", get("appName"))
    return ScimSettings(
        enabled=enabled,
        user_deprovision=user_deprovision,
        seat_deprovision=seat_deprovision,
        identity_update_behavior=behavior,
        groups=groups if enabled else (),
        app_name=app_name or f"Cloudflare Access SCIM ({stack})",
    )


def _rotation(read: _Reader, rotation_days: int, grace_days: int) -> tuple[int, int, tuple[str, ...]]:
    for key, value in (("secretRotationDays", rotation_days), ("secretGraceDays", grace_days)):
        if value < 1:
            read.fail(key, value, "a whole number of days, at least 1")
    lifetime = rotation_days + grace_days
    warnings: tuple[str, ...] = ()
    if lifetime > MAX_SECRET_LIFETIME_DAYS:
        read.fail(
            "secretRotationDays + secretGraceDays",
            lifetime,
            f"at most {MAX_SECRET_LIFETIME_DAYS} days, Microsoft's limit for a client secret (24 months)",
        )
    elif lifetime > ADVISED_SECRET_LIFETIME_DAYS:
        warnings = (
            f"secretRotationDays + secretGraceDays = {lifetime} days: a client secret may live longer "
            f"than {ADVISED_SECRET_LIFETIME_DAYS} days, against Microsoft's advice to stay under 12 months",
        )
    return rotation_days, grace_days, warnings


def _access_groups(read: _Reader, raw: dict[str, Any], support_groups: bool) -> dict[str, GroupRef]:
    groups: dict[str, GroupRef] = {}
    seen: dict[str, str] = {}
    for name, item in raw.items():
        key = f"accessGroups.{name}"
        if not name.strip():
            read.fail("accessGroups", name, "a non-empty Cloudflare Access group name for every entry")
            continue
        folded = slugify(name)
        if folded in seen:
            read.fail(
                key,
                name,
                f"a distinct Access group name; it repeats {seen[folded]!r} "
                "(names are compared lowercased, with punctuation and spaces removed)",
            )
            continue
        seen[folded] = name
        ref = read.group(key, item)
        if ref is not None:
            groups[name.strip()] = ref
    if groups and not support_groups:
        read.fail(
            "accessGroups",
            sorted(groups),
            "no Access groups while supportGroups is false: Cloudflare only sees Entra groups with supportGroups: true",
        )
    return groups


def stack_config(project: str) -> dict[str, Any]:
    """This project's raw config (unprefixed key -> value) as the Pulumi engine passed it in.

    Reads the whole config map rather than key by key so that a misspelt key is reported too,
    instead of being silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    prefix = f"{project}:"
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key[len(prefix) :]: value for key, value in merged.items() if key.startswith(prefix)}


def settings_from_stack_file(stack: str, root: Path = ROOT) -> Settings:
    """A committed stack's Settings, read offline from its stack file (for tools and manifests)."""
    prefix = f"{PROJECT_NAME}:"
    config = read_stack_config(stack_file(stack, root))
    return load_settings({key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}, stack)
