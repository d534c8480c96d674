"""Taking over objects made by hand: which logical names can be adopted, and their import IDs.

A stack file's `adopt` block maps a logical resource name to the provider's import ID; the
program passes each entry to its resource as `import_`, so the first `pulumi up` takes the
object over and then brings it to the declared state. Plain Python (no Pulumi): the settings
validator checks every entry here before anything is declared.

The component names below are the first part of every logical name: they are stable API, as
renaming one would replace live objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from components.constants import NON_GALLERY_TEMPLATE_ID

LOGIN = "login"
IDENTITY_PROVIDER = "identity-provider"
SCIM = "scim"
ACCESS_GROUPS = "access-groups"

# Created anew by adoption: Graph never returns a secret's value again, and the provisioning
# credentials cannot be read back either: the "Import" section of both resources' pulumi-azuread
# docs says "This resource does not support importing."
NOT_IMPORTABLE = {
    f"{LOGIN}-client-secret": "Graph never returns a client secret's value, so the stack creates a new secret",
    f"{SCIM}-secret": "provisioning credentials cannot be read back, so the stack writes them anew",
}

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Graph's oauth2PermissionGrant and appRoleAssignment IDs are base64url strings, not GUIDs.
_GRAPH_KEY = r"[A-Za-z0-9_-]+"


@dataclass(frozen=True)
class ImportRule:
    """What an adopted resource's import ID looks like (the "Import" section of each resource's
    pulumi-azuread / pulumi-cloudflare docs)."""

    pattern: str
    form: str

    def matches(self, import_id: str) -> bool:
        return re.fullmatch(self.pattern, import_id) is not None


def _assignment() -> ImportRule:
    return ImportRule(
        rf"/servicePrincipals/{_GUID}/appRoleAssignedTo/{_GRAPH_KEY}",
        "/servicePrincipals/<resource service principal object ID>/appRoleAssignedTo/<assignment ID>",
    )


def import_rules(
    account_id: str,
    sign_in_slugs: Iterable[str],
    scim_enabled: bool,
    scim_slugs: Iterable[str],
    access_group_slugs: Iterable[str],
) -> dict[str, ImportRule]:
    """Every logical name this stack declares that can be imported, with its import ID rule."""
    account = re.escape(account_id)
    rules = {
        f"{LOGIN}-app": ImportRule(rf"/applications/{_GUID}", "/applications/<application object ID>"),
        f"{LOGIN}-service-principal": ImportRule(_GUID, "<service principal object ID>"),
        f"{LOGIN}-consent-grant": ImportRule(
            rf"/oauth2PermissionGrants/{_GRAPH_KEY}", "/oauth2PermissionGrants/<grant ID>"
        ),
        f"{IDENTITY_PROVIDER}-login-method": ImportRule(
            rf"accounts/{account}/{_GUID}", f"accounts/{account_id}/<login method ID>"
        ),
    }
    rules.update({f"{LOGIN}-assignment-{slug}": _assignment() for slug in sign_in_slugs})
    if scim_enabled:
        rules[f"{SCIM}-app"] = ImportRule(
            rf"/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}/instantiate/{_GUID}/{_GUID}",
            f"/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}/instantiate/<application object ID>/"
            "<service principal object ID>",
        )
        rules[f"{SCIM}-job"] = ImportRule(
            rf"/servicePrincipals/{_GUID}/synchronization/jobs/[A-Za-z0-9._-]+",
            "/servicePrincipals/<SCIM service principal object ID>/synchronization/jobs/<job ID>",
        )
        rules.update({f"{SCIM}-assignment-{slug}": _assignment() for slug in scim_slugs})
    rules.update(
        {
            f"{ACCESS_GROUPS}-{slug}": ImportRule(
                rf"accounts/{account}/{_GUID}", f"accounts/{account_id}/<Access group ID>"
            )
            for slug in access_group_slugs
        }
    )
    return rules


def adopt_problems(adopt: Mapping[str, str], rules: Mapping[str, ImportRule]) -> list[tuple[str, str, str]]:
    """(key, value, expected) for every entry that names no importable resource or has a bad ID."""
    problems = []
    for name, import_id in adopt.items():
        key = f"adopt.{name}"
        if name in NOT_IMPORTABLE:
            problems.append((key, import_id, f"no entry: {NOT_IMPORTABLE[name]}"))
        elif name not in rules:
            known = ", ".join(sorted(rules))
            problems.append((key, import_id, f"a logical name this stack declares, one of: {known}"))
        elif not isinstance(import_id, str) or not rules[name].matches(import_id):
            problems.append((key, import_id, f"an import ID of the form {rules[name].form}"))
    return problems
