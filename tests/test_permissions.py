"""ops/permissions.py records what each read accepts; CI's identities must hold enough of it.

docs/ci.md says the deployer runs `make verify` with the permissions it deploys with and needs
Directory.Read.All only for the canary; README, docs/security.md and the grant manifests repeat
the deployer's list. These tests hold each of those to the table and to each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness import ROOT

from ops import permissions
from ops.permissions import Permission
from scripts import grant_manifest

DEPLOYER_GRAPH = set(grant_manifest.DEPLOYER_GRAPH_PERMISSIONS)
CANARY_GRAPH = set(grant_manifest.DEPLOYER_CANARY_GRAPH_PERMISSIONS)
DEPLOY_TOKEN = {grant_manifest.CLOUDFLARE_WRITE_TOKEN}
PREVIEW_GRAPH = (
    set(grant_manifest.PREVIEW_GRAPH_PERMISSIONS)
    | set(grant_manifest.PREVIEW_ADOPT_GRAPH_PERMISSIONS)
    | set(grant_manifest.PREVIEW_MAPPINGS_GRAPH_PERMISSIONS)
)


def not_covered(needed: Iterable[Permission], graph: set[str], cloudflare: set[str]) -> list[Permission]:
    """The entries none of whose accepted permissions the identity holds."""
    held = {"Microsoft Graph": graph, "Cloudflare": cloudflare}
    return [entry for entry in needed if not {entry.name, *entry.also_accepted} & held[entry.service]]


def test_the_deployer_runs_verify_with_the_permissions_it_deploys_with() -> None:
    assert not_covered(permissions.VERIFY, DEPLOYER_GRAPH, DEPLOY_TOKEN) == []


def test_the_deployer_runs_adopt_with_the_permissions_it_deploys_with() -> None:
    assert not_covered(permissions.ADOPT, DEPLOYER_GRAPH, DEPLOY_TOKEN) == []


def test_the_canary_needs_exactly_what_the_deployer_is_granted_for_it() -> None:
    assert not_covered(permissions.CANARY, DEPLOYER_GRAPH, DEPLOY_TOKEN) == [
        permissions.USER_READ,
        permissions.MEMBERSHIP_READ,
    ]
    assert not_covered(permissions.CANARY, DEPLOYER_GRAPH | CANARY_GRAPH, DEPLOY_TOKEN) == []
    for name in CANARY_GRAPH:
        assert not_covered(permissions.CANARY, DEPLOYER_GRAPH | (CANARY_GRAPH - {name}), DEPLOY_TOKEN), name


def test_an_identity_short_of_a_permission_is_caught() -> None:
    without = DEPLOYER_GRAPH - {"Synchronization.ReadWrite.All"}
    assert not_covered(permissions.VERIFY, without, DEPLOY_TOKEN) == [
        permissions.SYNCHRONIZATION_READ,
        permissions.SYNCHRONIZATION_READWRITE,
    ]
    assert not_covered(permissions.VERIFY, DEPLOYER_GRAPH, set()) == [permissions.CLOUDFLARE_ACCESS_READ]


def test_the_preview_identity_and_token_only_read() -> None:
    assert all(".Read." in name for name in PREVIEW_GRAPH)
    assert grant_manifest.CLOUDFLARE_READ_TOKEN.endswith(" Read")


def graph_permission_names(text: str) -> list[str]:
    return re.findall(r"`([A-Za-z]+(?:\.[A-Za-z]+)*\.All)`", text)


def test_docs_ci_grants_the_deployer_its_permissions_and_the_canarys_apart() -> None:
    text = (ROOT / "docs" / "ci.md").read_text()
    step = text.split("\n### 2. ", 1)[1].split("\n### ", 1)[0]
    script = step.split("```sh", 1)[1].split("```", 1)[0]
    apart = script.split("done\n", 1)[1]
    assert "Only if ENTRA_CF_CANARY_USERS names a canary user" in apart
    for name in CANARY_GRAPH:
        assert f"appRoles[?value=='{name}']" in apart
    bullets = step.split("Its permissions:\n", 1)[1].split("\n\n", 1)[0]
    listed = [graph_permission_names(line)[0] for line in bullets.splitlines() if line.startswith("- ")]
    assert listed == [*grant_manifest.DEPLOYER_GRAPH_PERMISSIONS, *grant_manifest.DEPLOYER_CANARY_GRAPH_PERMISSIONS]


def test_readme_prerequisites_list_the_deployers_permissions() -> None:
    text = (ROOT / "README.md").read_text()
    prerequisites = text.split("\n## Prerequisites\n", 1)[1].split("\n## ", 1)[0]
    service_principal = prerequisites.split("- a service principal (CI):", 1)[1].split("\n- ", 1)[0]
    assert graph_permission_names(service_principal) == [
        *grant_manifest.DEPLOYER_GRAPH_PERMISSIONS,
        *grant_manifest.DEPLOYER_CANARY_GRAPH_PERMISSIONS,
    ]


def test_the_threat_model_names_each_identitys_permissions() -> None:
    text = (ROOT / "docs" / "security.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    pull_requests = [row for row in rows if row.startswith("| **Pull request**")]
    push = next(row for row in rows if row.startswith("| **Push to main** ("))
    assert len(pull_requests) == 2
    assert set(graph_permission_names(pull_requests[0])) == PREVIEW_GRAPH
    assert set(graph_permission_names(push)) == DEPLOYER_GRAPH | CANARY_GRAPH
    assert grant_manifest.CLOUDFLARE_READ_TOKEN in pull_requests[0]
    assert grant_manifest.CLOUDFLARE_WRITE_TOKEN in push


def test_the_deploy_token_needs_no_apps_and_policies_permission() -> None:
    """docs/ci.md, step 4: the stack declares no Access application or policy."""
    program = [ROOT / "__main__.py", *sorted((ROOT / "components").glob("*.py"))]
    declared = [path.name for path in program if re.search(r"ZeroTrustAccess(?:Application|Policy)", path.read_text())]
    assert declared == []
