"""The grant manifests (scripts/grant_manifest.py): fresh, offline, and one fact per line."""

from __future__ import annotations

import copy
import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest
from harness import ACCOUNT_ID, copy_fixture_stacks, fixture_stacks, stack_file_config

from config.settings import SettingsError, load_settings, split_namespaces
from scripts import grant_manifest

ROOT = Path(__file__).resolve().parent.parent


def stack_config(stack: str) -> dict[str, Any]:
    own, _ = split_namespaces(stack_file_config(stack))
    return own


def render(raw: dict[str, Any], stack: str = "dev") -> str:
    return grant_manifest.render(load_settings(raw, stack), f"stacks/Pulumi.{stack}.yaml")


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two manifests."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [line[2:] for line in diff if line.startswith("- ")], [line[2:] for line in diff if line.startswith("+ ")]


def project(root: Path) -> Path:
    """A project checkout under `root` holding the fixture stack files, with no manifest yet."""
    shutil.copy(ROOT / "Pulumi.yaml", root)
    copy_fixture_stacks(root)
    return root


def test_writing_gives_every_stack_file_a_manifest_and_check_mode_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert grant_manifest.main(["--check"], root=root) == 1
    assert "manifests/dev.md: missing" in capsys.readouterr().err

    assert grant_manifest.main([], root=root) == 0
    assert {path.stem for path in (root / "manifests").glob("*.md")} == set(fixture_stacks())
    assert grant_manifest.main(["--check"], root=root) == 0


def test_check_mode_fails_listing_a_stale_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path)
    assert grant_manifest.main([], root=tmp_path) == 0
    assert grant_manifest.main(["--check"], root=tmp_path) == 0

    (tmp_path / "manifests" / "prod.md").write_text("# edited by hand\n")
    (tmp_path / "manifests" / "gone.md").write_text("# a removed stack\n")

    assert grant_manifest.main(["--check"], root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "manifests/prod.md: out of date" in err
    assert "manifests/gone.md: no stack file for it" in err
    assert "make manifests" in err

    assert grant_manifest.main([], root=tmp_path) == 0
    assert grant_manifest.main(["--check"], root=tmp_path) == 0
    assert not (tmp_path / "manifests" / "gone.md").exists()


def test_every_bad_stack_file_is_reported_in_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stacks = project(tmp_path) / "stacks"
    assert grant_manifest.main([], root=tmp_path) == 0
    (stacks / "Pulumi.broken.yaml").write_text("config: [\n")
    (stacks / "Pulumi.typo.yml").write_text("confg: {}\n")
    (stacks / "Pulumi.invalid.yaml").write_text("config:\n  entra-cloudflare:secretRotationDays: 0\n")
    (stacks / "Pulumi.two.yaml").write_text("config: {}\n")
    (stacks / "Pulumi.two.yml").write_text("config: {}\n")
    (stacks / "Pulumi.a b.yaml").write_text("config: {}\n")
    (stacks / "Pulumi.twice.yaml").write_text("config:\n  protect: true\n  entra-cloudflare:protect: false\n")
    manifests = {path: path.read_text() for path in (tmp_path / "manifests").glob("*.md")}

    for args in ([], ["--check"]):
        assert grant_manifest.main(args, root=tmp_path) == 2
        err = capsys.readouterr().err
        assert err.startswith("Cannot render the grant manifests, fix each stack file listed:\n")
        assert "  - stacks/Pulumi.broken.yaml: cannot be read as YAML: line 2" in err
        assert "  - stacks/Pulumi.typo.yml: unknown top-level key 'confg'" in err
        assert "  - stacks/Pulumi.invalid.yaml: invalid stack configuration" in err
        assert "      - secretRotationDays: got 0" in err
        assert "  - a stack has two stack files: stacks/Pulumi.two.yaml and Pulumi.two.yml" in err
        assert "  - stacks/Pulumi.a b.yaml: 'a b' is not a valid stack name" in err
        assert "  - stacks/Pulumi.twice.yaml: invalid stack configuration" in err
        assert "Traceback" not in err
    assert {path: path.read_text() for path in (tmp_path / "manifests").glob("*.md")} == manifests


def test_adding_a_sign_in_group_adds_exactly_its_lines() -> None:
    raw = stack_config("dev")
    widened = copy.deepcopy(raw)
    widened["signInGroups"].append("Contractors")

    removed, added = changed_lines(render(raw), render(widened))

    # dev provisions its sign-in groups (scim.groups unset), so the new group is provisioned too.
    new_group = 'Entra group "Contractors" (by display name, resolved in Entra at deploy time)'
    assert removed == []
    assert added == [f"- Allowed to sign in: {new_group}", f"- Provisioned to Cloudflare: {new_group}"]


def test_dropping_assignment_required_changes_exactly_one_line() -> None:
    raw = stack_config("dev")
    widened = {**raw, "assignmentRequired": False}

    removed, added = changed_lines(render(raw), render(widened))

    assert removed == [
        "- Who can sign in: only members of the groups below, and Global Administrators (assignment required)"
    ]
    assert len(added) == 1
    assert added[0].startswith("- Who can sign in: every user of the tenant")


def test_turning_on_seat_deprovisioning_changes_exactly_one_line() -> None:
    raw = stack_config("dev")
    widened = copy.deepcopy(raw)
    widened["scim"]["seatDeprovision"] = True

    removed, added = changed_lines(render(raw), render(widened))

    assert removed == ["- ... and removes the user's Zero Trust seat (scim.seatDeprovision): no"]
    assert added == ["- ... and removes the user's Zero Trust seat (scim.seatDeprovision): yes"]


def test_declaring_a_mapping_lists_every_attribute_the_stack_manages() -> None:
    raw = stack_config("dev")
    mapped = copy.deepcopy(raw)
    mapped["scim"]["userAttributes"] = {"userName": "mail"}

    removed, added = changed_lines(render(raw), render(mapped))

    assert removed == [
        "- User attributes sent (scim.userAttributes): Microsoft's default mappings, not managed by the stack"
    ]
    assert added == [
        "- User attributes sent (scim.userAttributes), SCIM attribute <- Entra source, kept so by every deployment:",
        '  - `emails[type eq "work"].value` <- `mail`',
        "  - `name.givenName` <- `givenName`",
        "  - `name.familyName` <- `surname`",
        "  - `userName` <- `mail`",
        "- Preview identity, Microsoft Graph application permission: `Synchronization.Read.All`: read the "
        "provisioning job's schema, so the preview shows attribute mappings edited outside the stack (while this "
        "stack sets scim.userAttributes)",
    ]


def test_every_graph_scope_is_its_own_line_with_admin_consent() -> None:
    manifest = render(stack_config("dev"))
    scope_lines = [line for line in manifest.splitlines() if "delegated, admin consent for all users" in line]
    assert len(scope_lines) == 7
    assert "- `GroupMember.Read.All` (bc024368-1153-4739-b217-4326f2e966d0): delegated" in manifest


def test_redirect_uri_from_team_name_or_deploy_time_lookup() -> None:
    raw = {key: value for key, value in stack_config("dev").items() if key != "teamName"}
    named = render({**raw, "teamName": "acme-test"})
    looked_up = render(raw)
    assert (
        "- Login app redirect URI: https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback (its only one)"
        in named
    )
    assert "where <team> is read from the Cloudflare account's Zero Trust organization at deploy time" in looked_up


def test_scim_off_is_stated() -> None:
    raw = {**stack_config("dev"), "scim": {"enabled": False}}
    manifest = render(raw)
    assert "- Entra SCIM app: none (SCIM is off)" in manifest
    assert "- SCIM provisioning: off" in manifest
    assert "Provisioned to Cloudflare" not in manifest


def test_manifest_names_no_dates() -> None:
    for stack in fixture_stacks():
        manifest = render(stack_config(stack), stack)
        assert not any(year in manifest for year in ("2024", "2025", "2026", "2027", "2028"))


def test_invalid_stack_config_is_rejected_by_the_stacks_own_validator() -> None:
    with pytest.raises(SettingsError, match="secretRotationDays"):
        render({**stack_config("dev"), "secretRotationDays": 0})


def test_whether_a_stack_is_production_is_stated_with_its_secret_lifetime_limit() -> None:
    production = stack_config("prod")
    assert "production" not in production, "the prod fixture is production by default"

    removed, added = changed_lines(render(production, "prod"), render({**production, "production": False}, "prod"))
    # Who deploys and previews it changes too: the CI section's own tests (tests/test_workflows.py).
    ci_section = ("- Deployed by", "- Previewed in")
    removed = [line for line in removed if not line.startswith(ci_section)]
    added = [line for line in added if not line.startswith(ci_section)]

    assert removed == [
        "- Production stack (production): yes; every preview and deployment runs the policy pack with its strict "
        "config (policy/prod-config.json)",
        "- Longest life of one secret: 120 days (the limit of a production stack: 365, the strict policy's; "
        "Microsoft's: 730)",
    ]
    assert added == [
        "- Production stack (production): no; every preview and deployment runs the policy pack with its default "
        "settings",
        "- Longest life of one secret: 120 days (Microsoft's limit: 730; its advice: under 365)",
    ]


# --- issue 20: the email claim and the provisioning settings (own fixture, no stack file) ----------

FIXTURE = {
    "cloudflareAccountId": ACCOUNT_ID,
    "teamName": "acme-test",
    "signInGroups": ["Engineering"],
}


def fixture(**scim: Any) -> dict[str, Any]:
    return {**FIXTURE, "scim": scim}


def test_the_email_claim_is_stated() -> None:
    assert "- ID tokens carry the optional claim `email`: each member's email address" in render(fixture())


def test_each_provisioning_setting_is_its_own_line() -> None:
    removed, added = changed_lines(
        render(fixture()), render(fixture(notificationEmail="identity-team@example.com", deletionThreshold=25))
    )
    assert removed == [
        "- E-mail when provisioning fails or is quarantined (scim.notificationEmail): none",
        "- Accidental deletions prevention (scim.deletionThreshold): off",
    ]
    assert added == [
        "- E-mail when provisioning fails or is quarantined (scim.notificationEmail): identity-team@example.com",
        "- Accidental deletions prevention (scim.deletionThreshold): a cycle that would delete or disable 25 "
        "accounts or more stops until an admin allows the deletions",
    ]


def test_scope_all_says_every_user_and_group_is_provisioned() -> None:
    manifest = render(fixture(scope="all"))
    assert "every user and group of the tenant in Cloudflare, assigned or not (scim.scope: all)" in manifest
    assert "- Provisioned to Cloudflare:" not in manifest
    assert '- Assigned to the SCIM app, which does not narrow scope all: Entra group "Engineering"' in manifest


def test_groups_that_differ_between_the_apps_are_listed_as_a_warning() -> None:
    manifest = render(fixture(groups=["Engineering", "Sales"]))
    assert manifest.endswith(
        "## Warnings\n\n- scim.groups differs from signInGroups (in scim.groups but not in signInGroups: Sales). "
        "SCIM group membership overwrites the groups in a user's Cloudflare identity, so Cloudflare advises "
        "assigning the SCIM app the same groups as the login app (docs/operations.md, 'Provisioning settings')\n"
    )
    assert "## Warnings" not in render(fixture())
