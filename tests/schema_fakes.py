"""A fake of Microsoft Graph's job schema endpoints, holding a realistic default `scim` job schema.

- `default_scim_schema()` is the schema a new `scim` job starts with, modelled on Graph's documented
  synchronizationSchema (directories, synchronizationRules, objectMappings, attributeMappings with
  attributeMappingSource) and on the default User and Group mappings Microsoft documents for a
  non-gallery SCIM app ("Tutorial: Develop and plan provisioning for a SCIM endpoint").
- `FakeSchemaGraph` answers `GET|PUT .../jobs/{jobId}/schema`, `POST .../schema/parseExpression`
  and `GET .../templates/scim/schema`. It refuses what Graph refuses: 401 without the bearer
  token, 403 without the permission, 429 with Retry-After when told to, 404 for an unknown job,
  and 400 for a PUT that is not a whole schema (unknown or missing properties, a rule without
  object mappings, a mapping to an attribute its directory does not define, a target mapped twice).
  A PUT answers 204 and replaces the schema, as Graph documents.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx
from verify_fakes import GRAPH, GRAPH_TOKEN, JOB_ID, SCIM_SP_ID, _graph_error

JOB_PATH = f"/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENTRA = "Azure Active Directory"
TARGET = "customappsso"
SCHEMA_PROPERTIES = {"id", "version", "directories", "synchronizationRules"}

ENTRA_USER_ATTRIBUTES = (
    "objectId",
    "IsSoftDeleted",
    "userPrincipalName",
    "mail",
    "mailNickname",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "employeeId",
    "manager",
    "preferredLanguage",
    "physicalDeliveryOfficeName",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "telephoneNumber",
    "mobile",
    "facsimileTelephoneNumber",
    "accountEnabled",
)
ENTRA_GROUP_ATTRIBUTES = ("objectId", "displayName", "mailNickname", "members")
SCIM_USER_ATTRIBUTES = (
    "userName",
    "active",
    "displayName",
    "title",
    'emails[type eq "work"].value',
    "preferredLanguage",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    'addresses[type eq "work"].formatted',
    'addresses[type eq "work"].streetAddress',
    'addresses[type eq "work"].locality',
    'addresses[type eq "work"].region',
    'addresses[type eq "work"].postalCode',
    'addresses[type eq "work"].country',
    'phoneNumbers[type eq "work"].value',
    'phoneNumbers[type eq "mobile"].value',
    'phoneNumbers[type eq "fax"].value',
    "externalId",
    "nickName",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:costCenter",
    f"{ENTERPRISE}:manager",
)
SCIM_GROUP_ATTRIBUTES = ("displayName", "externalId", "members")

# Function names of Entra's expression language ("Reference for writing expressions for
# attribute mappings in Microsoft Entra ID"); the fake parser knows no other.
ENTRA_FUNCTIONS = frozenset(
    {
        "Append",
        "AppRoleAssignmentsComplex",
        "BitAnd",
        "CBool",
        "CDate",
        "Coalesce",
        "ConvertToBase64",
        "ConvertToUTF8Hex",
        "Count",
        "CStr",
        "DateAdd",
        "DateDiff",
        "DateFromNum",
        "FormatDateTime",
        "Guid",
        "IgnoreFlowIfNullOrEmpty",
        "IIF",
        "InStr",
        "IsNull",
        "IsNullOrEmpty",
        "IsPresent",
        "IsString",
        "Item",
        "Join",
        "Left",
        "Mid",
        "NormalizeDiacritics",
        "Not",
        "Now",
        "NumFromDate",
        "PCase",
        "RandomString",
        "Redact",
        "RemoveDuplicates",
        "Replace",
        "SelectUniqueValue",
        "SingleAppRoleAssignment",
        "Split",
        "StripSpaces",
        "Switch",
        "ToLower",
        "ToUpper",
        "Word",
    }
)


def attribute(name: str) -> dict[str, Any]:
    return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}


def constant(value: str) -> dict[str, Any]:
    return {"expression": json.dumps(value), "name": value, "parameters": [], "type": "Constant"}


def mapping(target: str, source: dict[str, Any], matching: int = 0) -> dict[str, Any]:
    # Not in alphabetical order, so a write that sorts keys shows up as a change.
    return {
        "targetAttributeName": target,
        "source": source,
        "matchingPriority": matching,
        "flowBehavior": "FlowWhenChanged",
        "flowType": "Always",
        "defaultValue": None,
        "exportMissingReferences": False,
    }


def _directory(directory_id: str, name: str, users: tuple[str, ...], groups: tuple[str, ...]) -> dict[str, Any]:
    def attributes(names: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            {
                "anchor": index == 0,
                "caseExact": False,
                "flowNullValues": False,
                "multivalued": item == "members",
                "mutability": "ReadWrite",
                "name": item,
                "required": False,
                "type": "Reference" if item in ("manager", "members") else "String",
            }
            for index, item in enumerate(names)
        ]

    return {
        "id": directory_id,
        "name": name,
        "version": "2026-01-12T08:31:27.3469612Z",
        "discoveryDateTime": None,
        "discoverabilities": "AttributeNames, AttributeDataTypes",
        "objects": [
            {"name": "User", "attributes": attributes(users), "supportedApis": [], "metadata": []},
            {"name": "Group", "attributes": attributes(groups), "supportedApis": [], "metadata": []},
        ],
    }


def default_scim_schema() -> dict[str, Any]:
    """A new `scim` job's schema: Microsoft's default mappings for a non-gallery SCIM app."""
    is_soft_deleted = {
        "expression": 'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        "name": "Switch",
        "parameters": [
            {"key": "source", "value": attribute("IsSoftDeleted")},
            {"key": "key", "value": constant("False")},
            {"key": "value", "value": constant("True")},
            {"key": "key", "value": constant("True")},
            {"key": "value", "value": constant("False")},
        ],
        "type": "Function",
    }
    formatted_name = {
        "expression": 'Join(" ", [givenName], [surname])',
        "name": "Join",
        "parameters": [
            {"key": "separator", "value": constant(" ")},
            {"key": "source", "value": attribute("givenName")},
            {"key": "source", "value": attribute("surname")},
        ],
        "type": "Function",
    }
    users = [
        mapping("userName", attribute("userPrincipalName"), matching=1),
        mapping("active", is_soft_deleted),
        mapping("displayName", attribute("displayName")),
        mapping("title", attribute("jobTitle")),
        mapping('emails[type eq "work"].value', attribute("mail")),
        mapping("preferredLanguage", attribute("preferredLanguage")),
        mapping("name.givenName", attribute("givenName")),
        mapping("name.familyName", attribute("surname")),
        mapping("name.formatted", formatted_name),
        mapping('addresses[type eq "work"].formatted', attribute("physicalDeliveryOfficeName")),
        mapping('addresses[type eq "work"].streetAddress', attribute("streetAddress")),
        mapping('addresses[type eq "work"].locality', attribute("city")),
        mapping('addresses[type eq "work"].region', attribute("state")),
        mapping('addresses[type eq "work"].postalCode', attribute("postalCode")),
        mapping('addresses[type eq "work"].country', attribute("country")),
        mapping('phoneNumbers[type eq "work"].value', attribute("telephoneNumber")),
        mapping('phoneNumbers[type eq "mobile"].value', attribute("mobile")),
        mapping('phoneNumbers[type eq "fax"].value', attribute("facsimileTelephoneNumber")),
        mapping("externalId", attribute("mailNickname")),
        mapping(f"{ENTERPRISE}:employeeNumber", attribute("employeeId")),
        mapping(f"{ENTERPRISE}:department", attribute("department")),
        mapping(f"{ENTERPRISE}:manager", attribute("manager")),
    ]
    groups = [
        mapping("displayName", attribute("displayName"), matching=1),
        mapping("externalId", attribute("objectId")),
        mapping("members", attribute("members")),
    ]

    def object_mapping(name: str, source: str, target: str, items: list[dict[str, Any]], **extra: Any) -> dict:
        return {
            "enabled": True,
            "flowTypes": "Add, Update, Delete",
            "metadata": [],
            "name": name,
            "scope": None,
            "sourceObjectName": source,
            "targetObjectName": target,
            "attributeMappings": items,
            **extra,
        }

    return {
        "id": JOB_ID,
        "version": "Date:2026-01-12T08:31:27.347Z~###~Version:2",
        "synchronizationRules": [
            {
                "editable": True,
                "id": "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8",
                "metadata": [{"key": "azure.sync.wizard.supportsMultipleEntitlements", "value": "false"}],
                "name": "USER_OUTBOUND_USER",
                "objectMappings": [
                    object_mapping("Provision Microsoft Entra ID Users", "User", "User", users),
                    object_mapping("Provision Microsoft Entra ID Groups", "Group", "Group", groups),
                ],
                "priority": 1,
                "sourceDirectoryName": ENTRA,
                "targetDirectoryName": TARGET,
            },
            {
                "editable": True,
                "id": "2d1cd8e4-6b1d-4d3b-8f4f-5e64bd0e0c2a",
                "metadata": [],
                "name": "USER_INBOUND_USER",
                "objectMappings": [
                    object_mapping(
                        "Synchronize users back (off)",
                        "User",
                        "User",
                        [mapping("displayName", attribute("displayName"))],
                        enabled=False,
                    )
                ],
                "priority": 2,
                "sourceDirectoryName": ENTRA,
                "targetDirectoryName": TARGET,
            },
        ],
        "directories": [
            _directory("8f6f2c2e-0000-4000-8000-0000000000d1", ENTRA, ENTRA_USER_ATTRIBUTES, ENTRA_GROUP_ATTRIBUTES),
            _directory("8f6f2c2e-0000-4000-8000-0000000000d2", TARGET, SCIM_USER_ATTRIBUTES, SCIM_GROUP_ATTRIBUTES),
        ],
    }


def user_mapping_of(schema: dict[str, Any], target: str) -> dict[str, Any] | None:
    """The enabled User object mapping's attributeMapping for `target`, read independently of the code."""
    for rule in schema["synchronizationRules"]:
        for object_mapping in rule["objectMappings"]:
            if object_mapping["sourceObjectName"] == "User" and object_mapping["enabled"]:
                for item in object_mapping["attributeMappings"]:
                    if item["targetAttributeName"] == target:
                        return item
    return None


def without_user_targets(schema: dict[str, Any], targets: set[str]) -> str:
    """The schema as JSON text with the enabled User mapping's `targets` taken out: what must not change."""
    trimmed = copy.deepcopy(schema)
    for rule in trimmed["synchronizationRules"]:
        for object_mapping in rule["objectMappings"]:
            if object_mapping["sourceObjectName"] == "User" and object_mapping["enabled"]:
                object_mapping["attributeMappings"] = [
                    item for item in object_mapping["attributeMappings"] if item["targetAttributeName"] not in targets
                ]
    return json.dumps(trimmed)


class _ParseError(Exception):
    pass


def _parse(text: str, index: int) -> tuple[dict[str, Any], int]:
    """One expression of Entra's language from `index`: a function call, [attribute] or "constant"."""
    while index < len(text) and text[index] == " ":
        index += 1
    if index >= len(text):
        raise _ParseError("the expression ends early")
    if text[index] == '"':
        end = index + 1
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise _ParseError(f"unterminated string at {index}")
        value = text[index + 1 : end].replace('\\"', '"')
        return {"expression": text[index : end + 1], "name": value, "parameters": [], "type": "Constant"}, end + 1
    if text[index] == "[":
        end = text.find("]", index)
        if end < 0:
            raise _ParseError(f"unterminated attribute reference at {index}")
        name = text[index + 1 : end]
        if name not in ENTRA_USER_ATTRIBUTES:
            raise _ParseError(f"Attribute '{name}' is not defined for object User in directory '{ENTRA}'")
        return attribute(name), end + 1
    found = re.match(r"([A-Za-z][A-Za-z0-9]*)\(", text[index:])
    if not found:
        raise _ParseError(f"unexpected character '{text[index]}' at {index}")
    name = found.group(1)
    if name not in ENTRA_FUNCTIONS:
        raise _ParseError(f"Function '{name}' is not a known function")
    start = index
    index += len(found.group(0))
    parameters: list[dict[str, Any]] = []
    while True:
        while index < len(text) and text[index] == " ":
            index += 1
        if index < len(text) and text[index] in ",)":
            closing = text[index] == ")"
            index += 1
            if closing:
                break
            continue
        argument, index = _parse(text, index)
        parameters.append({"key": f"parameter{len(parameters) + 1}", "value": argument})
        while index < len(text) and text[index] == " ":
            index += 1
        if index >= len(text) or text[index] not in ",)":
            raise _ParseError(f"expected ',' or ')' at {index}")
    return {"expression": text[start:index], "name": name, "parameters": parameters, "type": "Function"}, index


@dataclass
class FakeSchemaGraph:
    """Graph's schema endpoints for one `scim` job (and its template) on the SCIM service principal."""

    schema: dict[str, Any] = field(default_factory=default_scim_schema)
    template_schema: dict[str, Any] = field(default_factory=default_scim_schema)
    permissions: set[str] = field(default_factory=lambda: {"Synchronization.ReadWrite.All"})
    job_exists: bool = True
    throttle: Counter[str] = field(default_factory=Counter)
    puts: list[dict[str, Any]] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)
    gets: int = 0

    def _denied(self, request: httpx.Request, name: str, write: bool) -> httpx.Response | None:
        if request.headers.get("Authorization") != f"Bearer {GRAPH_TOKEN}":
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        allowed = (
            {"Synchronization.ReadWrite.All"}
            if write
            else {"Synchronization.Read.All", "Synchronization.ReadWrite.All"}
        )
        if not allowed & self.permissions:
            return _graph_error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        if self.throttle[name] > 0:
            self.throttle[name] -= 1
            return _graph_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": "3"})
        if not self.job_exists:
            return _graph_error(404, "NotFound", "The synchronization job was not found.")
        return None

    def _get(self, request: httpx.Request) -> httpx.Response:
        denied = self._denied(request, "get", write=False)
        if denied:
            return denied
        self.gets += 1
        context = f"{GRAPH}/$metadata#servicePrincipals('{SCIM_SP_ID}')/synchronization/jobs('{JOB_ID}')/schema/$entity"
        return httpx.Response(200, json={"@odata.context": context, **copy.deepcopy(self.schema)})

    def _template(self, request: httpx.Request) -> httpx.Response:
        denied = self._denied(request, "template", write=False)
        return denied or httpx.Response(200, json=copy.deepcopy(self.template_schema))

    def _put(self, request: httpx.Request) -> httpx.Response:
        denied = self._denied(request, "put", write=True)
        if denied:
            return denied
        try:
            body = json.loads(request.content)
        except ValueError:
            return _graph_error(400, "BadRequest", "The request body is not valid JSON.")
        problem = self._malformed(body)
        if problem:
            return _graph_error(400, "BadRequest", problem)
        self.puts.append(body)
        self.schema = body
        return httpx.Response(204)

    def _malformed(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "A synchronizationSchema object is expected."
        unknown = sorted(set(body) - SCHEMA_PROPERTIES)
        if unknown:
            return f"The property '{unknown[0]}' does not exist on type 'microsoft.graph.synchronizationSchema'."
        for name in ("directories", "synchronizationRules"):
            if not isinstance(body.get(name), list) or not body[name]:
                return f"The schema must hold its {name}: a PUT replaces the whole schema."
        directories = {d.get("name"): d for d in body["directories"]}
        for rule in body["synchronizationRules"]:
            if not isinstance(rule.get("objectMappings"), list):
                return f"Synchronization rule '{rule.get('id')}' has no objectMappings."
            source_dir = directories.get(rule.get("sourceDirectoryName"))
            target_dir = directories.get(rule.get("targetDirectoryName"))
            if source_dir is None or target_dir is None:
                return f"Synchronization rule '{rule.get('id')}' names a directory the schema does not define."
            for object_mapping in rule["objectMappings"]:
                problem = self._object_problem(object_mapping, source_dir, target_dir)
                if problem:
                    return problem
        return None

    @staticmethod
    def _object_problem(
        object_mapping: dict[str, Any], source_dir: dict[str, Any], target_dir: dict[str, Any]
    ) -> str | None:
        def attributes(directory: dict[str, Any], object_name: str) -> set[str]:
            for item in directory.get("objects") or []:
                if item.get("name") == object_name:
                    return {a["name"] for a in item.get("attributes") or []}
            return set()

        sources = attributes(source_dir, str(object_mapping.get("sourceObjectName")))
        targets = attributes(target_dir, str(object_mapping.get("targetObjectName")))
        seen: set[str] = set()
        for item in object_mapping.get("attributeMappings") or []:
            target = item.get("targetAttributeName")
            if target not in targets:
                return f"Attribute '{target}' is not defined for object '{object_mapping.get('targetObjectName')}'."
            if target in seen:
                return f"Attribute '{target}' is mapped more than once."
            seen.add(target)
            problem = FakeSchemaGraph._source_problem(item.get("source"), sources)
            if problem:
                return f"Mapping to '{target}': {problem}"
        return None

    @staticmethod
    def _source_problem(source: Any, attributes: set[str]) -> str | None:
        if not isinstance(source, dict) or source.get("type") not in ("Attribute", "Constant", "Function"):
            return "the source must be an attributeMappingSource of type Attribute, Constant or Function."
        if not isinstance(source.get("name"), str):
            return "the source has no name."
        if source["type"] == "Attribute" and source["name"] not in attributes:
            return f"source attribute '{source['name']}' is not defined."
        for parameter in source.get("parameters") or []:
            problem = FakeSchemaGraph._source_problem(parameter.get("value"), attributes)
            if problem:
                return problem
        return None

    def _parse_expression(self, request: httpx.Request) -> httpx.Response:
        denied = self._denied(request, "parse", write=True)
        if denied:
            return denied
        body = json.loads(request.content)
        expression = body.get("expression")
        if not isinstance(expression, str):
            return _graph_error(400, "BadRequest", "The expression is required.")
        self.parsed.append(expression)
        try:
            parsed, end = _parse(expression, 0)
            if expression[end:].strip():
                raise _ParseError(f"unexpected text after position {end}")
        except _ParseError as error:
            return httpx.Response(
                200,
                json={
                    "error": {"code": "ExpressionParsingFailed", "message": str(error)},
                    "evaluationSucceeded": False,
                    "evaluationResult": None,
                    "parsedExpression": None,
                    "parsingSucceeded": False,
                },
            )
        return httpx.Response(
            200,
            json={
                "error": None,
                "evaluationSucceeded": False,
                "evaluationResult": None,
                "parsedExpression": parsed,
                "parsingSucceeded": True,
            },
        )

    def install(self, router: respx.MockRouter, graph: str = GRAPH) -> None:
        job = re.escape(f"{graph}{JOB_PATH}")
        template = re.escape(f"{graph}/servicePrincipals/{SCIM_SP_ID}/synchronization/templates/scim/schema")
        router.route(method="GET", url__regex=rf"^{job}/schema$").mock(side_effect=self._get)
        router.route(method="PUT", url__regex=rf"^{job}/schema$").mock(side_effect=self._put)
        router.route(method="POST", url__regex=rf"^{job}/schema/parseExpression$").mock(
            side_effect=self._parse_expression
        )
        router.route(method="GET", url__regex=rf"^{template}$").mock(side_effect=self._template)
