"""Stack settings: the configuration contract, declared once, and its validation.

Every key is declared once, as a field of `Settings` (or of its nested `ScimSettings`) carrying a
`KeySpec` in its metadata: name, type, meaning, default, and the simple rules (enum, pattern,
length, minimum). Everything else is generated from those declarations: the `Pulumi.yaml`
config block, the README's configuration table and the JSON Schema for stack files
(`scripts/config_contract.py`, with a staleness test).

`load_settings` turns raw stack config (key -> value) into one typed, immutable `Settings`, or
raises `SettingsError` listing every problem at once, each naming the key, the bad value and
what is expected. It runs before any resource is declared, so a bad stack file touches nothing.
Plain Python: no Pulumi runtime is needed to run or test it.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from components import adoption, attribute_mappings
from components.constants import (
    ADVISED_SECRET_LIFETIME_DAYS,
    CLOUDFLARE_NAME_MAX_LENGTH,
    ENTRA_DISPLAY_NAME_MAX_LENGTH,
    MAX_SECRET_LIFETIME_DAYS,
    PRODUCTION_SECRET_LIFETIME_DAYS,
)
from components.group_names import GroupNameError, GroupRef, parse_group, slug
from config.stack_files import PROJECT_NAME, ROOT, read_stack_config, stack_file

# Config namespaces a stack file may use besides the project's own: the providers this program
# uses, and Pulumi's own. Any other namespace is a typo (`entra-cloudfare:protect`), reported.
KNOWN_NAMESPACES = ("azuread", "cloudflare", "pulumi")

# Every setting the two providers read (`pulumi_cloudflare/config/vars.py`,
# `pulumi_azuread/config/vars.py`; a test keeps this equal to the installed SDKs). Any other key
# in their namespaces is read by nothing: a typo, or a key of this project in the wrong namespace.
PROVIDER_CONFIG_KEYS = {
    "cloudflare": ("apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix"),
    "azuread": (
        "adoPipelineServiceConnectionId",
        "clientCertificate",
        "clientCertificatePassword",
        "clientCertificatePath",
        "clientId",
        "clientIdFilePath",
        "clientSecret",
        "clientSecretFilePath",
        "disableTerraformPartnerId",
        "environment",
        "metadataHost",
        "msiEndpoint",
        "oidcRequestToken",
        "oidcRequestUrl",
        "oidcToken",
        "oidcTokenFilePath",
        "partnerId",
        "tenantId",
        "useAksWorkloadIdentity",
        "useCli",
        "useMsi",
        "useOidc",
    ),
}

# Provider settings that are credentials (`pulumi_cloudflare.config`, `pulumi_azuread.config`; the
# Terraform providers mark each sensitive). In a stack file they must be secrets: a plain value
# would be committed in clear text.
PROVIDER_SECRET_KEYS = (
    "cloudflare:apiKey",
    "cloudflare:apiToken",
    "cloudflare:apiUserServiceKey",
    "azuread:clientCertificate",
    "azuread:clientCertificatePassword",
    "azuread:clientSecret",
    "azuread:oidcRequestToken",
    "azuread:oidcToken",
)

# A placeholder is a whole value written in angle brackets, e.g. `<your Cloudflare account ID>`.
# The committed stack files hold placeholders where only the user knows the value; a deployment
# refuses every one of them, naming its key, before it asks for credentials or declares anything.
_PLACEHOLDER = re.compile(r"^<.+>$", re.DOTALL)

# Characters no name may hold: controls (a newline, a NUL) and line separators, and the invisible
# formatting characters (zero-width space, bidirectional overrides, byte order mark) that make two
# different names look the same. Zero-width (non-)joiners stay allowed: scripts and emoji use them,
# and so do the tag characters U+E0020-U+E007F, which spell the flags of regions (England, Wales).
_ALLOWED_FORMAT = {"\u200c", "\u200d"}
# How much of a bad key or value a problem quotes.
_SHOWN_LENGTH = 120
# What a problem shows for the value of a key nothing reads: a misspelt `apiToken` or `scimSecret`
# may hold a credential, so its value is never echoed.
UNREAD_VALUE = "<not shown: an unknown key's value may be a credential>"
NOT_SHOWN = "<not shown>"
# A boolean written as text, as `pulumi config set k true` stores it: exactly the texts the
# program's SDK reads as booleans (pulumi/config.py, Config.get_bool). Any other text (`"TRUE"`,
# `"yes"`, `" true"`) is refused, though unquoted YAML 1.2 `TRUE` is a boolean (config/stack_yaml.py).
BOOLEAN_TEXT = {"true": True, "True": True, "false": False, "False": False}


class _Missing:
    """The value of a Problem about a key that is not there: shown as `missing`, not as `got None`."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()

SPEC = "entracf:key"


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and _PLACEHOLDER.match(value.strip()) is not None


def is_secure_value(value: Any) -> bool:
    """A secret as `pulumi config set --secret` writes it: `{secure: <ciphertext>}` and nothing else."""
    return (
        isinstance(value, dict)
        and list(value) == ["secure"]
        and isinstance(value["secure"], str)
        and bool(value["secure"])
    )


@dataclass(frozen=True)
class KeySpec:
    """One user-facing config key: how it is written, what it means, and its simple rules."""

    name: str
    kind: str  # "string", "boolean", "integer", "array" (of strings), "object", "map" (of strings), "secret"
    description: str
    default: Any = None
    default_doc: str | None = None  # the README's "Default" cell, when not the literal default
    required: bool = False
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_expected: str | None = None
    max_length: int | None = None
    minimum: int | None = None
    unit: str | None = None  # what an integer counts, for the message when it is below minimum
    placeholder_allowed: bool = False  # committed stack files may hold a placeholder here


def key(name: str, kind: str, description: str, **rules: Any) -> Any:
    """A dataclass field declaring the config key `name`."""
    return field(metadata={SPEC: KeySpec(name, kind, description, **rules)})


def keys_of(model: type) -> list[tuple[str, KeySpec]]:
    """(field name, KeySpec) of every config key a model declares, in declaration order."""
    return [(f.name, f.metadata[SPEC]) for f in fields(model) if SPEC in f.metadata]


@dataclass(frozen=True, kw_only=True)
class ScimSettings:
    """The `scim` object: SCIM provisioning from Entra to Cloudflare."""

    enabled: bool = key("enabled", "boolean", "Provision users and groups to Cloudflare over SCIM.", default=True)
    user_deprovision: bool = key(
        "userDeprovision",
        "boolean",
        "Revoke a user's Cloudflare sessions when Entra deprovisions the user.",
        default=True,
    )
    seat_deprovision: bool = key(
        "seatDeprovision",
        "boolean",
        "Also remove the user's Zero Trust seat. Only with userDeprovision: true.",
        default=False,
    )
    identity_update_behavior: str = key(
        "identityUpdateBehavior",
        "string",
        "On a group change: reauth (users sign in again, so policies see the new groups at once), "
        "automatic (Cloudflare updates the identity in place) or no_action.",
        default="reauth",
        enum=("automatic", "reauth", "no_action"),
    )
    scope: str = key(
        "scope",
        "string",
        "assigned (only the users and groups assigned to the SCIM app) or all (every user and group, "
        "assigned or not). Written as the SyncAll credential.",
        default="assigned",
        enum=("assigned", "all"),
    )
    groups: tuple[GroupRef, ...] = key(
        "groups",
        "array",
        "Entra groups to provision, each a display name or an object ID. None is an error with scope "
        "assigned. Warned about when it differs from signInGroups.",
        default_doc="the sign-in groups",
        placeholder_allowed=True,
    )
    notification_email: str | None = key(
        "notificationEmail",
        "string",
        "Address Entra e-mails when provisioning fails or is quarantined. Left out: no e-mail.",
        default_doc="no e-mail",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        pattern_expected="one e-mail address, such as identity-team@example.com",
    )
    deletion_threshold: int | None = key(
        "deletionThreshold",
        "integer",
        "Accidental deletions prevention: a cycle that would delete or disable this many accounts or more "
        "is held (quarantined) until an admin allows it. Left out: off.",
        default_doc="off",
        minimum=1,
        unit="accounts",
    )
    app_name: str = key(
        "appName",
        "string",
        "Display name of the SCIM app in Entra.",
        default_doc="`Cloudflare Access SCIM (<stack>)`",
        max_length=ENTRA_DISPLAY_NAME_MAX_LENGTH,
    )
    user_attributes: Mapping[str, str] = key(
        "userAttributes",
        "map",
        "SCIM attribute -> Entra source: an attribute (`userName: mail`), a quoted constant or an expression "
        '(`Join(" ", [givenName], [surname])`). Declaring any also manages Cloudflare\'s three (work email '
        "from mail; given and family name). Left out, Microsoft's mappings stay (docs/operations.md, "
        "Attribute mappings).",
        default={},
        default_doc="Microsoft's mappings, unmanaged",
    )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the stack needs from its config, validated. Field order is the documented order."""

    stack: str
    cloudflare_account_id: str = key(
        "cloudflareAccountId",
        "string",
        "Cloudflare account ID: 32 lowercase hex characters, as in the dashboard URL.",
        required=True,
        pattern=r"^[0-9a-f]{32}$",
        pattern_expected="32 lowercase hex characters, as in the dashboard URL",
        placeholder_allowed=True,
    )
    team_name: str | None = key(
        "teamName",
        "string",
        "Zero Trust team, the `<team>` of `<team>.cloudflareaccess.com`. Left out, it is read from the "
        "account's Zero Trust organization at deploy time.",
        default_doc="read from Cloudflare",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        pattern_expected="the bare team name (lowercase letters, digits and inner dashes, as in "
        "<team>.cloudflareaccess.com), or the key left out to read it from Cloudflare",
        placeholder_allowed=True,
    )
    login_app_name: str = key(
        "loginAppName",
        "string",
        "Display name of the Entra login app. Must differ from scim.appName.",
        default_doc="`Cloudflare Access (<stack>)`",
        max_length=ENTRA_DISPLAY_NAME_MAX_LENGTH,
    )
    identity_provider_name: str = key(
        "identityProviderName",
        "string",
        "Name of the login method in Cloudflare.",
        default_doc="`Entra ID (<stack>)`",
        max_length=CLOUDFLARE_NAME_MAX_LENGTH,
    )
    pkce_enabled: bool = key("pkceEnabled", "boolean", "PKCE on every sign-in.", default=True)
    support_groups: bool = key(
        "supportGroups",
        "boolean",
        "Group claims in tokens and Entra groups in Cloudflare policies. Required by accessGroups.",
        default=True,
    )
    conditional_access_enabled: bool = key(
        "conditionalAccessEnabled", "boolean", "Cloudflare evaluates Entra Conditional Access.", default=False
    )
    prompt: str | None = key(
        "prompt",
        "string",
        "Sign-in prompt Entra shows: login, select_account or none.",
        default_doc="Entra's own",
        enum=("login", "select_account", "none"),
    )
    email_claim_name: str | None = key(
        "emailClaimName",
        "string",
        "Claim Cloudflare takes the email from. Left out: email, which the login app requests in ID tokens "
        "(Entra sends it to members only when asked). preferred_username is the sign-in name (UPN).",
        default_doc="Cloudflare's (`email`)",
        pattern=r"^[A-Za-z0-9_.:/-]{1,128}$",
        pattern_expected="a claim name such as email or preferred_username",
    )
    sign_in_groups: tuple[GroupRef, ...] = key(
        "signInGroups",
        "array",
        "Entra groups allowed to sign in, each a display name (resolved at deploy time) or an object ID.",
        default=[],
        placeholder_allowed=True,
    )
    assignment_required: bool = key(
        "assignmentRequired",
        "boolean",
        "Only assigned users and groups (and Global Administrators) can sign in. true with no signInGroups "
        "is an error: nobody could sign in.",
        default=True,
    )
    production: bool = key(
        "production",
        "boolean",
        "Production: the strict policy config on every preview and deployment, CI deploys only through a "
        f"protected environment, rotation plus grace at most {PRODUCTION_SECRET_LIFETIME_DAYS} days. "
        "On unless a stack file turns it off.",
        default=True,
    )
    protect: bool = key(
        "protect",
        "boolean",
        "Protects the login app, its service principal, the SCIM app and the login method from deletion. "
        "On unless a stack file turns it off.",
        default=True,
    )
    scim: ScimSettings = key("scim", "object", "SCIM provisioning (the scim.* keys below).")
    scim_secret_set: bool = key(
        "scimSecret",
        "secret",
        "Cloudflare's SCIM secret after 'Regenerate Secret' on the login method, set with "
        "`pulumi config set --secret scimSecret`. Wins over the secret Cloudflare returned when SCIM was enabled.",
        default=False,
        default_doc="the secret kept in state",
    )
    secret_rotation_days: int = key(
        "secretRotationDays",
        "integer",
        "Length of one client-secret rotation window, in days.",
        default=90,
        minimum=1,
        unit="days",
    )
    secret_grace_days: int = key(
        "secretGraceDays",
        "integer",
        "Days a secret stays valid after its window ends. Rotation plus grace may not exceed "
        f"{PRODUCTION_SECRET_LIFETIME_DAYS} days in a production stack (the strict policy's limit), nor "
        f"{MAX_SECRET_LIFETIME_DAYS} days (24 months, Microsoft's) in another, which is warned about above "
        f"{ADVISED_SECRET_LIFETIME_DAYS} days.",
        default=30,
        minimum=1,
        unit="days",
    )
    access_groups: Mapping[str, GroupRef] = key(
        "accessGroups",
        "map",
        "Cloudflare Access group name -> Entra group (display name or object ID). Names are per Cloudflare "
        "account: stacks sharing an account need distinct names.",
        default={},
        placeholder_allowed=True,
    )
    adopt: Mapping[str, str] = key(
        "adopt",
        "map",
        "Logical resource name -> import ID of an object made by hand, taken over on the next deployment "
        "(written by `make adopt`).",
        default={},
    )
    warnings: tuple[str, ...] = ()

    def referenced_groups(self) -> tuple[GroupRef, ...]:
        """Every distinct group the stack refers to, sign-in first, in a stable order."""
        ordered = [*self.sign_in_groups, *self.scim.groups, *self.access_groups.values()]
        return tuple(dict.fromkeys(ordered))


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    expected: str

    def __str__(self) -> str:
        key = self.key if self.key.isprintable() else repr(self.key)[1:-1]
        if len(key) > _SHOWN_LENGTH:
            key = f"{key[:_SHOWN_LENGTH]}... ({len(self.key)} characters)"
        shown = repr(self.value)
        if len(shown) > _SHOWN_LENGTH and self.value is not MISSING:
            size = (
                f"{len(self.value)} characters" if isinstance(self.value, str) else f"{len(shown)} characters as text"
            )
            shown = f"{shown[:_SHOWN_LENGTH]}... ({size})"
        if self.value is MISSING:
            return f"{key}: missing; expected {self.expected}"
        return f"{key}: got {shown}; expected {self.expected}"


def hidden_character(text: str) -> str | None:
    """The first control or invisible formatting character in `text`, described, or None."""
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cc", "Zl", "Zp") or (
            category == "Cf" and character not in _ALLOWED_FORMAT and not "\U000e0020" <= character <= "\U000e007f"
        ):
            name = unicodedata.name(character, "a control character")
            return f"U+{ord(character):04X} ({name.lower()})"
    return None


class SettingsError(ValueError):
    """Every problem found in a stack's config, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problem(s)):\n{lines}")


_KIND_CHECKS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"),
    "boolean": (bool, "true or false"),
    "integer": (int, "a whole number"),
    "array": (list, "a list"),
    "object": (dict, "a mapping of keys to values"),
    "map": (dict, "a mapping of keys to values"),
}


class _Reader:
    """Collects problems while converting raw config values to typed ones."""

    def __init__(self, allow_placeholders: bool) -> None:
        self.problems: list[Problem] = []
        self.allow_placeholders = allow_placeholders
        # Keys already reported: rules that depend on them stay quiet instead of piling on.
        self.reported: set[str] = set()

    def fail(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(key, value, expected))
        self.reported.add(key.split("[")[0])

    def placeholder(self, key: str, value: Any, spec: KeySpec, what: str | None = None) -> bool:
        """True when `value` is a placeholder; reported unless placeholders are allowed here."""
        if not is_placeholder(value):
            return False
        if not (self.allow_placeholders and spec.placeholder_allowed):
            self.fail(key, value, f"your own value in place of the placeholder: {what or spec.description}")
        return True

    def typed(self, key: str, raw: Any, spec: KeySpec) -> Any:
        """The value of one key, type-checked against its spec; the default when left out or wrong."""
        if raw is None:
            if spec.required:
                self.fail(key, MISSING, f"{spec.pattern_expected or spec.description}; it is required")
            return spec.default
        value = _decode(raw, spec.kind)
        if spec.kind == "secret":
            if is_secure_value(value) or value is ENGINE_SECRET:
                return True
            self.fail(
                key,
                "<a plain value, not shown>",
                f"a secret: set it with `pulumi config set --secret {spec.name} <value>`, so it is stored encrypted",
            )
            return False
        if is_secure_value(value):
            self.fail(
                key,
                "<a secret, not shown>",
                f"a plain value: {spec.name} is not secret, so set it without --secret "
                f"(`pulumi config set {spec.name} <value>`)",
            )
            return spec.default
        if self.placeholder(key, value, spec):
            return value if self.allow_placeholders else spec.default
        expected_type, expected = _KIND_CHECKS[spec.kind]
        if not isinstance(value, expected_type) or (spec.kind == "integer" and isinstance(value, bool)):
            if spec.kind == "boolean" and isinstance(value, str):
                texts = ", ".join(f'"{text}"' for text in BOOLEAN_TEXT)
                expected += f" (as quoted text only {texts}: what Pulumi's Config.get_bool reads)"
            self.fail(key, value, expected)
            return spec.default
        if isinstance(value, dict):
            value = self.text_keys(key, value)
        return self.rules(key, value, spec)

    def text_keys(self, key: str, value: dict[Any, Any]) -> dict[str, Any]:
        """The mapping without its non-text keys, each reported (YAML reads `1:` or `~:` as non-text)."""
        for name in value:
            if not isinstance(name, str):
                self.fail(f"{key}.{name!r}", name, "keys written as text (quote the key)")
        return {name: item for name, item in value.items() if isinstance(name, str)}

    def visible(self, key: str, text: str) -> bool:
        """True when `text` holds no control or invisible character; reported otherwise."""
        hidden = hidden_character(text)
        if hidden:
            self.fail(key, text, f"text without control or invisible characters; it holds {hidden}")
        return hidden is None

    def trimmed(self, key: str, text: str) -> bool:
        """True when `text` has no space at its start or end; reported otherwise."""
        if text != text.strip():
            self.fail(key, text, "no spaces at the start or end (Entra and Cloudflare keep them, which hides them)")
        return text == text.strip()

    def rules(self, key: str, value: Any, spec: KeySpec) -> Any:
        if spec.kind == "string" and not value.strip():
            self.fail(key, value, "a non-empty string, or the key left out")
            return spec.default
        if spec.kind == "string" and not self.visible(key, value):
            return spec.default
        if spec.kind == "string" and not self.trimmed(key, value):
            return spec.default
        if spec.enum and value not in spec.enum:
            suffix = "" if spec.default is not None else ", or the key left out"
            self.fail(key, value, f"one of {', '.join(spec.enum)}{suffix}")
            return spec.default
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            self.fail(key, value, spec.pattern_expected or f"a value matching {spec.pattern}")
            return spec.default
        if spec.max_length is not None and len(value) > spec.max_length:
            self.fail(key, value, f"at most {spec.max_length} characters (it has {len(value)})")
            return spec.default
        if spec.minimum is not None and value < spec.minimum:
            self.fail(key, value, f"a whole number{f' of {spec.unit}' if spec.unit else ''}, at least {spec.minimum}")
            return spec.default
        return value

    def model(self, prefix: str, raw: Mapping[str, Any], model: type) -> dict[str, Any]:
        """Every key of `model` read from `raw` (unknown keys reported), by field name."""
        specs = keys_of(model)
        known = {spec.name for _, spec in specs}
        for name in raw:
            if name in known:
                continue
            # `scim.enabled` (or `scim:enabled`) as one key: Pulumi's `a.b` paths are a CLI notation
            # (`--path`); in the stack file the child is written under its object.
            nested = re.fullmatch(r"([^.:]+)[.:](.+)", name, re.DOTALL)
            if nested and nested[1] in known:
                parent, child = nested[1], nested[2]
                hint = (
                    f"{prefix}{parent}.{child} is written nested, under {prefix}{parent}: `{parent}:` with `{child}:` "
                    f"indented below it (`pulumi config set --path {prefix}{parent}.{child} <value>` writes it so); "
                )
            else:
                guess = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {prefix}{guess[0]}? " if guess else ""
            self.fail(f"{prefix}{name}", UNREAD_VALUE, f"{hint}one of the known keys: {', '.join(sorted(known))}")
        return {attr: self.typed(f"{prefix}{spec.name}", raw.get(spec.name), spec) for attr, spec in specs}

    def groups(self, key: str, values: Iterable[Any], spec: KeySpec) -> tuple[GroupRef, ...]:
        refs = [self.group(f"{key}[{index}]", item, spec) for index, item in enumerate(values)]
        return tuple(dict.fromkeys(ref for ref in refs if ref is not None))

    def group(self, key: str, item: Any, spec: KeySpec) -> GroupRef | None:
        if not isinstance(item, str) or not item.strip():
            self.fail(key, item, "an Entra group display name or object ID (a non-empty string)")
            return None
        if self.placeholder(key, item, spec, "the display name or object ID of one of your Entra groups"):
            return GroupRef(item.strip()) if self.allow_placeholders else None
        if not self.visible(key, item) or not self.trimmed(key, item):
            return None
        try:
            ref = parse_group(item)
        except GroupNameError as error:
            self.fail(key, item, str(error))
            return None
        if ref.display_name is not None and len(ref.display_name) > ENTRA_DISPLAY_NAME_MAX_LENGTH:
            limit = ENTRA_DISPLAY_NAME_MAX_LENGTH
            self.fail(key, item, f"a group display name of at most {limit} characters, as Entra allows")
            return None
        return ref


class _EngineSecret:
    """Stands for a secret value the engine holds; settings never see a secret's plaintext."""

    def __repr__(self) -> str:
        return "<secret>"


ENGINE_SECRET: Any = _EngineSecret()


def _decode(raw: Any, kind: str) -> Any:
    """Pulumi hands non-string config to programs as JSON text; accept both that and YAML types."""
    if kind in ("string", "secret") or not isinstance(raw, str):
        return raw
    if kind == "boolean":
        return BOOLEAN_TEXT.get(raw, raw)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        # Not JSON (JSONDecodeError is a ValueError), or JSON Python will not read: a number past
        # its 4300-digit limit, nesting past its recursion limit. Left as text, refused by type.
        return raw


def load_settings(
    raw: Mapping[str, Any],
    stack: str,
    other_namespaces: Mapping[str, Any] | None = None,
    *,
    allow_placeholders: bool = False,
) -> Settings:
    """Validate raw stack config and build the stack's Settings.

    `raw` holds this project's keys without their namespace; `other_namespaces` holds every other
    `<namespace>:<key>` of the stack file. `allow_placeholders` is for rendering the committed
    templates (grant manifests): a deployment never allows them.
    """
    read = _Reader(allow_placeholders)
    _check_namespaces(read, other_namespaces or {})
    values = read.model("", raw, Settings)
    values["sign_in_groups"] = read.groups("signInGroups", values["sign_in_groups"], _spec("signInGroups"))
    if values["assignment_required"] and not values["sign_in_groups"] and "signInGroups" not in read.reported:
        read.fail(
            "signInGroups",
            MISSING if raw.get("signInGroups") is None else [],
            "at least one group while assignmentRequired is true, or nobody but Global "
            "Administrators could sign in (or set assignmentRequired: false)",
        )
    values["scim"] = _scim(read, values["scim"] or {}, values["sign_in_groups"], stack)
    if values["scim_secret_set"] and not values["scim"].enabled:
        read.fail("scimSecret", "<secret>", "no scimSecret while scim.enabled is false")
    values["access_groups"] = _access_groups(read, values["access_groups"], values["support_groups"])
    values["warnings"] = (
        *_rotation(read, values["secret_rotation_days"], values["secret_grace_days"], production=values["production"]),
        *_group_parity(values["sign_in_groups"], values["scim"]),
    )
    values["login_app_name"] = values["login_app_name"] or f"Cloudflare Access ({stack})"
    values["identity_provider_name"] = values["identity_provider_name"] or f"Entra ID ({stack})"
    if values["scim"].enabled and values["login_app_name"].casefold() == values["scim"].app_name.casefold():
        read.fail(
            "scim.appName",
            values["scim"].app_name,
            "a display name other than loginAppName's: the two apps must be told apart in Entra and by `make adopt`",
        )
    _check_slugs(read, values)
    values["adopt"] = _adopt(read, values)
    if read.problems:
        raise SettingsError(read.problems)
    return Settings(stack=stack, **values)


def _spec(name: str, model: type = Settings) -> KeySpec:
    return next(spec for _, spec in keys_of(model) if spec.name == name)


def _check_namespaces(read: _Reader, other_namespaces: Mapping[str, Any]) -> None:
    own_keys = {spec.name for _, spec in keys_of(Settings)}
    for full_key, value in other_namespaces.items():
        namespace = full_key.partition(":")[0]
        if full_key in PROVIDER_SECRET_KEYS and not is_secure_value(value):
            read.fail(
                full_key,
                "<a plain value, not shown>",
                f"a secret: set it with `pulumi config set --secret {full_key} <value>`, so it is stored encrypted "
                "(or leave it out and use the environment variable the provider reads)",
            )
            continue
        name = full_key.partition(":")[2]
        if namespace in PROVIDER_CONFIG_KEYS and name not in PROVIDER_CONFIG_KEYS[namespace]:
            known = PROVIDER_CONFIG_KEYS[namespace]
            if name in own_keys:
                hint = f"did you mean {PROJECT_NAME}:{name}? "
            else:
                guess = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {namespace}:{guess[0]}? " if guess else ""
            read.fail(full_key, UNREAD_VALUE, f"{hint}a setting of the {namespace} provider: {', '.join(known)}")
            continue
        if namespace == "pulumi" and name in own_keys:
            read.fail(full_key, UNREAD_VALUE, f"{PROJECT_NAME}:{name}: this project's keys live in its own namespace")
            continue
        if namespace in KNOWN_NAMESPACES:
            continue
        guess = difflib.get_close_matches(namespace, [PROJECT_NAME, *KNOWN_NAMESPACES], n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]}:{full_key.partition(':')[2]}? " if guess else ""
        read.fail(
            full_key,
            UNREAD_VALUE,
            f"{hint}a key of this project ({PROJECT_NAME}:) or of {', '.join(KNOWN_NAMESPACES)}; "
            "a key in any other namespace is read by nothing",
        )


def _scim(read: _Reader, raw: Any, sign_in_groups: tuple[GroupRef, ...], stack: str) -> ScimSettings:
    values = read.model("scim.", raw, ScimSettings)
    if values["seat_deprovision"] and not values["user_deprovision"]:
        read.fail(
            "scim.seatDeprovision",
            True,
            "false while scim.userDeprovision is false: Cloudflare removes seats only as part of deprovisioning a user",
        )
    raw_groups = values["groups"]
    groups = (
        sign_in_groups if raw_groups is None else read.groups("scim.groups", raw_groups, _spec("groups", ScimSettings))
    )
    inherited_problem = "signInGroups" if raw_groups is None else "scim.groups"
    # With scope all, every user and group is provisioned whether assigned or not: no group is fine.
    only_assigned = values["scope"] != "all"
    if (
        values["enabled"]
        and only_assigned
        and not groups
        and inherited_problem not in read.reported
        and "scim" not in read.reported
    ):
        read.fail(
            "scim.groups",
            raw_groups if raw_groups is not None else MISSING,
            "at least one group to provision while SCIM is enabled with scope assigned (it syncs only "
            "assigned groups, so nothing would reach Cloudflare), or scim.scope: all, or scim.enabled: false",
        )
    values["groups"] = groups if values["enabled"] else ()
    values["app_name"] = values["app_name"] or f"Cloudflare Access SCIM ({stack})"
    values["user_attributes"] = _user_attributes(read, values["user_attributes"])
    if values["user_attributes"] and not values["enabled"]:
        read.fail(
            "scim.userAttributes", sorted(raw.get("userAttributes") or {}), "no mappings while scim.enabled is false"
        )
    return ScimSettings(**values)


def _user_attributes(read: _Reader, raw: Mapping[str, Any]) -> dict[str, str]:
    """The declared mappings, checked offline; the effective set adds Cloudflare's defaults."""
    declared: dict[str, str] = {}
    for target, source in raw.items():
        key = f"scim.userAttributes.{target}"
        if isinstance(source, dict):
            read.fail(
                key,
                source,
                f"one key per attribute, its dots included ({target}.<...>: <source>); `pulumi config set --path` "
                f"splits keys at dots, so write it in the stack file or as "
                f"--path 'scim.userAttributes[\"{target}.<...>\"]'",
            )
            continue
        problem = attribute_mappings.target_problem(target)
        if problem:
            read.fail(key, target, problem)
            continue
        if not isinstance(source, str) or not source.strip():
            read.fail(key, source, "an Entra source: an attribute name, a constant in double quotes or an expression")
            continue
        if not read.visible(key, source):
            continue
        problem = attribute_mappings.source_problem(source.strip())
        if problem:
            read.fail(key, source, problem)
            continue
        declared[target] = source.strip()
    for target, required in attribute_mappings.REQUIRED_USER_ATTRIBUTES.items():
        if target in declared and declared[target] != required:
            read.fail(
                f"scim.userAttributes.{target}",
                declared[target],
                f"{required}, or the key left out: Cloudflare requires the work email from {required} "
                "and matches the SCIM user to the signed-in identity by it",
            )
    return attribute_mappings.effective_user_attributes(declared)


def _rotation(read: _Reader, rotation_days: int, grace_days: int, *, production: bool) -> tuple[str, ...]:
    lifetime = rotation_days + grace_days
    if production and lifetime > PRODUCTION_SECRET_LIFETIME_DAYS:
        read.fail(
            "secretRotationDays + secretGraceDays",
            lifetime,
            f"at most {PRODUCTION_SECRET_LIFETIME_DAYS} days in a production stack (here secretRotationDays "
            f"{rotation_days} + secretGraceDays {grace_days}): the strict policy config "
            f"(policy/prod-config.json, maxLifetimeDays {PRODUCTION_SECRET_LIFETIME_DAYS}) refuses a longer-lived "
            "secret, which is the one each new rotation window makes; shorten either, or set production: false",
        )
    elif lifetime > MAX_SECRET_LIFETIME_DAYS:
        read.fail(
            "secretRotationDays + secretGraceDays",
            lifetime,
            f"at most {MAX_SECRET_LIFETIME_DAYS} days, Microsoft's limit for a client secret (24 months)",
        )
    elif lifetime > ADVISED_SECRET_LIFETIME_DAYS:
        return (
            f"secretRotationDays + secretGraceDays = {lifetime} days: a client secret may live longer "
            f"than {ADVISED_SECRET_LIFETIME_DAYS} days, against Microsoft's advice to stay under 12 months",
        )
    return ()


def _group_parity(sign_in_groups: tuple[GroupRef, ...], scim: ScimSettings) -> tuple[str, ...]:
    """A warning when the SCIM app is assigned other groups than the login app.

    Cloudflare's Entra ID guide: SCIM group membership overwrites the groups in a user's identity,
    so both apps should be assigned the same groups. Groups are compared as written (a group named
    by display name in one list and by object ID in the other counts as two). Nothing to compare
    with scope all (every group is provisioned) or with no signInGroups (assignment not required).
    """
    if not scim.enabled or scim.scope == "all" or not sign_in_groups:
        return ()
    not_provisioned = [ref.text for ref in sign_in_groups if ref not in scim.groups]
    not_signing_in = [ref.text for ref in scim.groups if ref not in sign_in_groups]
    if not not_provisioned and not not_signing_in:
        return ()
    differences = [
        f"in signInGroups but not in scim.groups: {', '.join(not_provisioned)}" if not_provisioned else "",
        f"in scim.groups but not in signInGroups: {', '.join(not_signing_in)}" if not_signing_in else "",
    ]
    return (
        f"scim.groups differs from signInGroups ({'; '.join(d for d in differences if d)}). SCIM group "
        "membership overwrites the groups in a user's Cloudflare identity, so Cloudflare advises assigning "
        "the SCIM app the same groups as the login app (docs/operations.md, 'Provisioning settings')",
    )


def _access_groups(read: _Reader, raw: Mapping[str, Any], support_groups: bool) -> dict[str, GroupRef]:
    spec = _spec("accessGroups")
    groups: dict[str, GroupRef] = {}
    seen: dict[str, str] = {}
    for name, item in raw.items():
        key = f"accessGroups.{name}"
        if not str(name).strip():
            read.fail("accessGroups", name, "a non-empty Cloudflare Access group name for every entry")
            continue
        if len(name) > CLOUDFLARE_NAME_MAX_LENGTH:
            read.fail(key, name, f"an Access group name of at most {CLOUDFLARE_NAME_MAX_LENGTH} characters")
            continue
        if read.placeholder(key, name, spec, "the name of the Cloudflare Access group to create"):
            if read.allow_placeholders:
                groups[name] = read.group(key, item, spec) or GroupRef(str(item))
            continue
        if not read.visible(key, name) or not read.trimmed(key, name):
            continue
        folded = slug(name)
        if folded in seen:
            read.fail(
                key,
                name,
                f"a distinct Access group name; it repeats {seen[folded]!r} "
                "(names are compared lowercased, with punctuation and spaces removed)",
            )
            continue
        seen[folded] = name
        ref = read.group(key, item, spec)
        if ref is not None:
            groups[name] = ref
    if groups and not support_groups:
        read.fail(
            "accessGroups",
            sorted(groups),
            "no Access groups while supportGroups is false: Cloudflare only sees Entra groups with supportGroups: true",
        )
    return groups


def _check_slugs(read: _Reader, values: Mapping[str, Any]) -> None:
    """Two different groups must not share a logical name part (their resources would collide)."""
    first_named_in: dict[GroupRef, str] = {}
    for key, refs in (
        ("signInGroups", values["sign_in_groups"]),
        ("scim.groups", values["scim"].groups),
        ("accessGroups", tuple(values["access_groups"].values())),
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


def _adopt(read: _Reader, values: Mapping[str, Any]) -> dict[str, str]:
    adopt = dict(values["adopt"])
    # The import rules need the keys that name resources; with those valid, check adopt even when
    # other keys have problems, so that every problem is reported at once.
    named_by = ("cloudflareAccountId", "signInGroups", "scim", "accessGroups")
    if not adopt or any(key == name or key.startswith(f"{name}.") for key in read.reported for name in named_by):
        return adopt
    rules = adoption.import_rules(
        values["cloudflare_account_id"],
        [ref.slug for ref in values["sign_in_groups"]],
        values["scim"].enabled,
        [ref.slug for ref in values["scim"].groups],
        [slug(name) for name in values["access_groups"]],
    )
    for key, value, expected in adoption.adopt_problems(adopt, rules):
        read.fail(key, value, expected)
    return adopt


def split_namespaces(config: Mapping[str, Any], project: str = PROJECT_NAME) -> tuple[dict[str, Any], dict[str, Any]]:
    """(this project's keys without the namespace, every other `<namespace>:<key>`).

    A key written both with and without the namespace is refused: Pulumi reads one of the two, and
    which one is not what a reviewer sees.
    """
    own: dict[str, Any] = {}
    others: dict[str, Any] = {}
    twice: list[Problem] = []
    for full_key, value in config.items():
        namespace, _, name = full_key.partition(":")
        if (name and namespace == project) or not name:
            name = name or full_key
            if name in own:
                twice.append(Problem(name, NOT_SHOWN, f"{name} or {project}:{name}, not both: they set the same key"))
            own[name] = value
        else:
            others[full_key] = value
    if twice:
        raise SettingsError(twice)
    return own, others


def settings_from_stack_file(stack: str, root: Path = ROOT, *, allow_placeholders: bool = False) -> Settings:
    """A committed stack's Settings, read offline from its stack file (for tools and manifests)."""
    own, others = split_namespaces(read_stack_config(stack_file(stack, root)))
    return load_settings(own, stack, others, allow_placeholders=allow_placeholders)
