"""SCIM attribute mappings (`scim.userAttributes`): the rules, and the job schema's User mapping.

Pure logic, no Pulumi: config/settings.py checks stack files with it, components/scim_schema.py
(the dynamic resource), `make verify` and `make adopt` read and change a job schema with it.

A mapping is SCIM target attribute -> Entra source, the source written one of three ways:
- an Entra attribute name: `mail`;
- a constant in double quotes: `"Cloudflare"`;
- an expression, a function call as Entra's expression language writes it, with `[attribute]`
  references: `Join(" ", [givenName], [surname])`.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any, Final

ENTERPRISE_USER: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# The User attributes a mapping may target, in the path notation of Entra's SCIM mappings.
# Source: RFC 7643 section 4.1 (the core User resource: singular attributes, `name` and its
# sub-attributes, the multi-valued attributes with their canonical `type` values) and section
# 4.3 (the enterprise User extension). `<type>` stands for a canonical type of that attribute
# (SCIM_CANONICAL_TYPES). Left out on purpose: `password` (Entra never sends one to Cloudflare),
# `groups` (read-only in RFC 7643), and the complex `roles`, `entitlements`, `x509Certificates`.
SCIM_USER_ATTRIBUTE_FORMS: Final[tuple[str, ...]] = (
    "userName",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "externalId",
    "name.formatted",
    "name.familyName",
    "name.givenName",
    "name.middleName",
    "name.honorificPrefix",
    "name.honorificSuffix",
    'emails[type eq "<type>"].value',
    'phoneNumbers[type eq "<type>"].value',
    'ims[type eq "<type>"].value',
    'photos[type eq "<type>"].value',
    'addresses[type eq "<type>"].formatted',
    'addresses[type eq "<type>"].streetAddress',
    'addresses[type eq "<type>"].locality',
    'addresses[type eq "<type>"].region',
    'addresses[type eq "<type>"].postalCode',
    'addresses[type eq "<type>"].country',
    f"{ENTERPRISE_USER}:employeeNumber",
    f"{ENTERPRISE_USER}:costCenter",
    f"{ENTERPRISE_USER}:organization",
    f"{ENTERPRISE_USER}:division",
    f"{ENTERPRISE_USER}:department",
    f"{ENTERPRISE_USER}:manager",
)
# Source: RFC 7643 section 4.1.2, the canonical values of each multi-valued attribute's `type`.
SCIM_CANONICAL_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "emails": ("work", "home", "other"),
    "phoneNumbers": ("work", "home", "mobile", "fax", "pager", "other"),
    "ims": ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
    "photos": ("photo", "thumbnail"),
    "addresses": ("work", "home", "other"),
}

WORK_EMAIL: Final = 'emails[type eq "work"].value'
# Cloudflare's Entra ID guide, "SCIM attribute mappings": the work email from `mail` is required
# (Cloudflare matches the SCIM user to the identity that signs in by it); the given and family
# names are recommended. Declaring any mapping makes the stack manage these three as well.
REQUIRED_USER_ATTRIBUTES: Final[dict[str, str]] = {WORK_EMAIL: "mail"}
RECOMMENDED_USER_ATTRIBUTES: Final[dict[str, str]] = {"name.givenName": "givenName", "name.familyName": "surname"}

# Entra's directory and object names in a job schema (Graph synchronizationSchema docs).
USER_OBJECT: Final = "User"

_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")
_FUNCTION_START = re.compile(r"([A-Za-z][A-Za-z0-9]*)\(")


def _target_names() -> tuple[str, ...]:
    names: list[str] = []
    for form in SCIM_USER_ATTRIBUTE_FORMS:
        if "<type>" not in form:
            names.append(form)
            continue
        attribute = form.partition("[")[0]
        names += [form.replace("<type>", kind) for kind in SCIM_CANONICAL_TYPES[attribute]]
    return tuple(names)


SCIM_USER_TARGETS: Final[tuple[str, ...]] = _target_names()


def target_problem(target: str) -> str | None:
    """What is wrong with a SCIM target attribute name, or None when RFC 7643 defines it."""
    if target in SCIM_USER_TARGETS:
        return None
    guess = difflib.get_close_matches(target, SCIM_USER_TARGETS, n=1, cutoff=0.75)
    hint = f"did you mean {guess[0]}? " if guess else ""
    return (
        f"{hint}a SCIM User attribute of RFC 7643: {', '.join(SCIM_USER_ATTRIBUTE_FORMS)} "
        f"(<type> one of RFC 7643's types for that attribute, e.g. {WORK_EMAIL})"
    )


def is_constant(source: str) -> bool:
    return len(source) >= 2 and source.startswith('"') and source.endswith('"')


def is_expression(source: str) -> bool:
    return _FUNCTION_START.match(source) is not None


def source_problem(source: str) -> str | None:
    """What is wrong with the shape of a source, or None. Only the shape: Graph's parser judges
    the functions and their arguments when the mapping is deployed."""
    if _ATTRIBUTE_NAME.fullmatch(source):
        return None
    if is_constant(source):
        return None if _string_end(source, 0) == len(source) else "a constant with no unescaped quote inside"
    if source.startswith("[") and _ATTRIBUTE_NAME.fullmatch(source[1:-1] if source.endswith("]") else ""):
        return f"the attribute name without brackets ({source[1:-1]}); brackets belong inside expressions"
    if not is_expression(source):
        return (
            'an Entra attribute name (mail), a constant in double quotes ("Cloudflare") or an expression '
            'such as Join(" ", [givenName], [surname])'
        )
    return _expression_problem(source)


def _string_end(text: str, start: int) -> int:
    """Index after the string literal opening at `start` (Entra escapes a quote as \\"); -1 if unclosed."""
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index + 1
        index += 1
    return -1


def _expression_problem(source: str) -> str | None:
    depth = 0
    index = 0
    while index < len(source):
        character = source[index]
        if character == '"':
            end = _string_end(source, index)
            if end < 0:
                return f"an expression whose strings are closed; the quote at position {index + 1} is not"
            index = end
            continue
        if character == "[":
            close = source.find("]", index)
            name = source[index + 1 : close] if close > 0 else ""
            if not _ATTRIBUTE_NAME.fullmatch(name):
                shown = source[index : index + 20]
                return f"attribute references written [attributeName]; position {index + 1} starts {shown!r}"
            index = close + 1
            continue
        if character == "]":
            return f"brackets only around attribute names; position {index + 1} closes one that was never opened"
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth == 0 and source[index + 1 :].strip():
                return f"one function call; text follows its closing parenthesis at position {index + 1}"
        index += 1
    if depth:
        return f"balanced parentheses; {depth} opened and never closed"
    return None


def effective_user_attributes(declared: Mapping[str, str]) -> dict[str, str]:
    """What the stack manages: nothing when nothing is declared, else Cloudflare's required and
    recommended mappings with the declared ones over them."""
    if not declared:
        return {}
    return {**REQUIRED_USER_ATTRIBUTES, **RECOMMENDED_USER_ATTRIBUTES, **declared}


# --- sources as Graph writes them (attributeMappingSource) ------------------------------------------


def attribute_source(name: str) -> dict[str, Any]:
    """An Attribute source. Shape: Graph attributeMappingSource docs, "Simple attribute to attribute mapping"."""
    return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}


def constant_source(source: str) -> dict[str, Any]:
    value = source[1:-1].replace('\\"', '"')
    return {"expression": source, "name": value, "parameters": [], "type": "Constant"}


def source_text(source: Mapping[str, Any] | None) -> str | None:
    """How `scim.userAttributes` writes a source Graph returned; None for no source."""
    if not source:
        return None
    kind = source.get("type") or "Attribute"
    name = str(source.get("name") or "")
    if kind == "Attribute":
        return name
    if kind == "Constant":
        return '"' + name.replace('"', '\\"') + '"'
    return str(source.get("expression") or name)


def source_key(source: Mapping[str, Any] | None) -> Any:
    """What makes two sources the same mapping: type, name and parameters, not the expression text
    (Graph may space an expression its own way)."""
    if not source:
        return None
    parameters = source.get("parameters") or []
    return (
        source.get("type") or "Attribute",
        source.get("name"),
        tuple((p.get("key"), source_key(p.get("value"))) for p in parameters),
    )


# --- the job schema's User mapping ------------------------------------------------------------------


class SchemaShapeError(Exception):
    """The job schema is not shaped as this stack can change safely."""


def enabled_user_mappings(schema: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(rule, object mapping) for every enabled object mapping from Entra's User in `schema`, inside
    it (not copies): the User rule the stack writes mappings into and the canary provisions with.
    A mapping without `enabled` counts as enabled."""
    return [
        (rule, mapping)
        for rule in schema.get("synchronizationRules") or []
        for mapping in rule.get("objectMappings") or []
        if mapping.get("sourceObjectName") == USER_OBJECT and mapping.get("enabled", True) is not False
    ]


def user_object_mapping(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The one enabled object mapping from Entra's User, inside `schema` (not a copy)."""
    found = [mapping for _rule, mapping in enabled_user_mappings(schema)]
    if len(found) != 1:
        raise SchemaShapeError(
            f"the job schema has {len(found)} enabled object mappings from {USER_OBJECT}, not one; "
            "check Provisioning > Mappings in the Entra portal"
        )
    return found[0]


def user_mappings(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """targetAttributeName -> attributeMapping of the User object mapping."""
    return {
        str(mapping.get("targetAttributeName")): mapping
        for mapping in user_object_mapping(schema).get("attributeMappings") or []
    }


def new_attribute_mapping(target: str, source: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping for a target the schema does not map yet, with Graph's documented defaults
    (attributeMapping docs: flowBehavior FlowWhenChanged, flowType Always, no matching)."""
    return {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": "Always",
        "matchingPriority": 0,
        "source": dict(source),
        "targetAttributeName": target,
    }


def with_user_mappings(schema: Mapping[str, Any], changes: Mapping[str, dict[str, Any] | None]) -> dict[str, Any]:
    """A copy of `schema` whose User mapping has each target in `changes` replaced by the given
    attributeMapping (appended when new; removed for None). Everything else is left as it was,
    in the same order."""
    updated = copy.deepcopy(dict(schema))
    mapping = user_object_mapping(updated)
    attribute_mappings: list[dict[str, Any]] = mapping.setdefault("attributeMappings", [])
    pending = dict(changes)
    kept: list[dict[str, Any]] = []
    for item in attribute_mappings:
        target = item.get("targetAttributeName")
        if target not in pending:
            kept.append(item)
            continue
        replacement = pending.pop(target)
        if replacement is not None:
            kept.append(copy.deepcopy(replacement))
    kept += [copy.deepcopy(item) for item in pending.values() if item is not None]
    attribute_mappings[:] = kept
    return updated


def with_sources(schema: Mapping[str, Any], sources: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of `schema` whose User mapping takes each target's source from `sources`; an existing
    mapping keeps everything but its source (matching, flow, default value)."""
    live = user_mappings(schema)
    changes: dict[str, dict[str, Any] | None] = {}
    for target, source in sources.items():
        current = live.get(target)
        changes[target] = {**current, "source": dict(source)} if current else new_attribute_mapping(target, source)
    return with_user_mappings(schema, changes)


def drifted(schema: Mapping[str, Any], expected: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None]:
    """Targets whose live source differs from the expected one: target -> the live source as text
    (None when the target is no longer mapped)."""
    live = user_mappings(schema)
    result: dict[str, str | None] = {}
    for target, source in expected.items():
        current = (live.get(target) or {}).get("source")
        if source_key(current) != source_key(source):
            result[target] = source_text(current)
    return result


def _without_spacing(expression: str) -> str:
    """The expression with the spaces outside its string literals removed."""
    parts: list[str] = []
    index = 0
    while index < len(expression):
        if expression[index] == '"':
            end = _string_end(expression, index)
            end = len(expression) if end < 0 else end
            parts.append(expression[index:end])
            index = end
            continue
        if not expression[index].isspace():
            parts.append(expression[index])
        index += 1
    return "".join(parts)


def holds(declared: str, live: Mapping[str, Any] | None) -> bool:
    """Whether a live source is the declared one, read without Graph's parser: the same attribute or
    constant, or the same expression text up to spacing."""
    text = source_text(live)
    if text is None:
        return False
    if (live or {}).get("type") == "Function":
        return _without_spacing(text) == _without_spacing(declared)
    return text == declared
