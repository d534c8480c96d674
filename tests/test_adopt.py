"""`make adopt` (ops/adopt.py) against fakes of Graph and Cloudflare: discovery, report, --write."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
import yaml
from adopt_fakes import (
    ADMINS_GROUP,
    ADMINS_ID,
    ENGINEERS_ID,
    GRANT_ID,
    IDP_ID,
    IDP_NAME,
    JOB_ID,
    KEY_ID,
    LOGIN_APP,
    LOGIN_NAME,
    LOGIN_SP,
    SCIM_APP,
    SCIM_SP,
    FakeHandMadeSetup,
    filled_dev_stack,
)
from harness import copy_fixture_stacks
from schema_fakes import attribute
from verify_fakes import ACCOUNT_ID, CLOUDFLARE_TOKEN, GRAPH_TOKEN, FakeCredential

from components import adoption
from components.constants import NON_GALLERY_TEMPLATE_ID
from config import stack_yaml
from config.settings import settings_from_stack_file
from config.stack_files import ROOT
from ops import adopt, permissions

SLEPT: list[float] = []


async def _no_sleep(seconds: float) -> None:
    SLEPT.append(seconds)


LOGIN_ASSIGNMENT = "bG9naW4tdXNlcnMtZ3JvdXA"
LOGIN_ASSIGNED = f"/servicePrincipals/{LOGIN_SP}/appRoleAssignedTo"
SCIM_ASSIGNMENT = "c2NpbS11c2Vycy1ncm91cA"
EXPECTED = {
    "login-app": f"/applications/{LOGIN_APP}",
    "login-service-principal": LOGIN_SP,
    "login-consent-grant": f"/oauth2PermissionGrants/{GRANT_ID}",
    "login-assignment-cloudflare-access-dev-users": f"{LOGIN_ASSIGNED}/{LOGIN_ASSIGNMENT}",
    "identity-provider-login-method": f"accounts/{ACCOUNT_ID}/{IDP_ID}",
    "scim-app": f"/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}/instantiate/{SCIM_APP}/{SCIM_SP}",
    "scim-job": f"/servicePrincipals/{SCIM_SP}/synchronization/jobs/{JOB_ID}",
    "scim-assignment-cloudflare-access-dev-users": f"/servicePrincipals/{SCIM_SP}/appRoleAssignedTo/{SCIM_ASSIGNMENT}",
    "access-groups-dev-engineers": f"accounts/{ACCOUNT_ID}/{ENGINEERS_ID}",
    "access-groups-dev-admins": f"accounts/{ACCOUNT_ID}/{ADMINS_ID}",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    filled_dev_stack(tmp_path)
    return tmp_path


@pytest.fixture
def setup() -> FakeHandMadeSetup:
    return FakeHandMadeSetup()


@pytest.fixture
def router(setup: FakeHandMadeSetup) -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        setup.install(mock)
        yield mock


def run(
    root: Path, *args: str, environ: dict[str, str] | None = None, credential: Any = "fake"
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    runtime = adopt.Runtime(
        environ={"CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN, "PATH": ""} if environ is None else environ,
        credential=FakeCredential() if credential == "fake" else credential,
        sleep=_no_sleep,
        root=root,
    )
    code = adopt.main(["--stack", "dev", *args], runtime, out, err)
    text, errors = out.getvalue(), err.getvalue()
    for secret in (GRAPH_TOKEN, CLOUDFLARE_TOKEN):
        assert secret not in text and secret not in errors
    return code, text, errors


def report(root: Path, *args: str) -> dict[str, Any]:
    code, text, errors = run(root, "--json", *args)
    assert code == 0, errors
    result: dict[str, Any] = json.loads(text)
    return result


# --- discovery ----------------------------------------------------------------------------------------


def test_finds_every_object_of_a_hand_made_setup(root: Path, router: respx.MockRouter) -> None:
    result = report(root)
    assert result["adopt"] == EXPECTED
    assert result["notFound"] == []
    assert result["dryRun"] is True and result["written"] is False


def test_never_importable_objects_are_listed_as_created_new(root: Path, router: respx.MockRouter) -> None:
    result = report(root)
    assert {item["name"] for item in result["neverImported"]} == {"login-client-secret", "scim-secret"}


def test_lists_the_hand_made_client_secrets(root: Path, router: respx.MockRouter) -> None:
    result = report(root)
    assert result["loginAppClientSecrets"] == [
        {"keyId": KEY_ID, "displayName": "made by hand for Cloudflare", "endDateTime": "2027-06-01T00:00:00Z"}
    ]


def test_every_produced_import_id_satisfies_the_programs_rule(root: Path, router: respx.MockRouter) -> None:
    produced = report(root)["adopt"]
    settings = settings_from_stack_file("dev", root)
    rules = adopt.rules_for(settings)
    assert produced and all(rules[name].matches(value) for name, value in produced.items())
    assert adoption.adopt_problems(produced, rules) == []


def test_a_produced_id_against_the_rule_is_refused_before_writing(root: Path) -> None:
    settings = settings_from_stack_file("dev", root)
    with pytest.raises(AssertionError, match="login-app"):
        adopt.check_import_ids({"login-app": LOGIN_APP}, settings)  # no /applications/ prefix


def test_follows_graph_and_cloudflare_paging(root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter) -> None:
    setup.page_size = 1
    users = [
        {
            "id": f"dXNlci0{i}",
            "principalId": f"0e000000-0000-4000-8000-00000000000{i}",
            "principalType": "User",
            "appRoleId": "x",
        }
        for i in range(5)
    ]
    setup.assignments[LOGIN_SP] = users + setup.assignments[LOGIN_SP]
    result = report(root)
    # Each object sits on a later page than the first: only paging finds it.
    assert result["adopt"] == EXPECTED
    assert {"$skiptoken=6", "$skiptoken=1"} <= {
        f"$skiptoken={r.url.params['$skiptoken']}" for r in setup.requests if "$skiptoken" in r.url.params
    }
    cloudflare_pages = {
        (r.url.path.rsplit("/", 1)[-1], r.url.params.get("page")) for r in setup.requests if "page" in r.url.params
    }
    assert {("identity_providers", "2"), ("groups", "2"), ("groups", "3")} <= cloudflare_pages


def test_not_found_objects_are_reported_and_not_written(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    setup.applications = [a for a in setup.applications if a["displayName"] != LOGIN_NAME]
    setup.identity_providers = []
    setup.access_groups = [g for g in setup.access_groups if g["name"] != "Dev Admins"]
    setup.jobs = {}
    result = report(root)
    missing = {item["name"]: item["reason"] for item in result["notFound"]}
    assert set(missing) == {
        "login-app",
        "login-service-principal",
        "login-consent-grant",
        "login-assignment-cloudflare-access-dev-users",
        "identity-provider-login-method",
        "access-groups-dev-admins",
        "scim-job",
    }
    assert missing["login-app"] == f"no Entra app is named {LOGIN_NAME!r}"
    assert missing["identity-provider-login-method"] == f"no login method is named {IDP_NAME!r}"
    assert set(result["adopt"]) == {
        "scim-app",
        "scim-assignment-cloudflare-access-dev-users",
        "access-groups-dev-engineers",
    }


def test_a_group_assigned_with_another_role_is_not_adopted(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    setup.assignments[SCIM_SP][0]["appRoleId"] = "b9632174-c057-4f7e-951b-be3adc52bfe6"
    result = report(root)
    missing = {item["name"]: item["reason"] for item in result["notFound"]}
    assert "another app role" in missing["scim-assignment-cloudflare-access-dev-users"]


def test_a_scim_app_not_made_from_the_non_gallery_template_is_not_adoptable(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    setup.service_principals[1]["applicationTemplateId"] = "01303a13-8322-4e06-bee5-80d612907131"
    result = report(root)
    missing = {item["name"]: item["reason"] for item in result["notFound"]}
    assert "non-gallery template" in missing["scim-app"] and "not adoptable" in missing["scim-app"]
    assert {"scim-job", "scim-assignment-cloudflare-access-dev-users"} <= set(missing)
    assert not any(name.startswith("scim-") for name in result["adopt"])


def test_only_per_user_consent_is_not_adopted(root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter) -> None:
    setup.grants = [g for g in setup.grants if g["consentType"] != "AllPrincipals"]
    missing = {item["name"]: item["reason"] for item in report(root)["notFound"]}
    assert "per-user" in missing["login-consent-grant"]


def test_the_text_report_has_three_parts_and_says_dry_run(root: Path, router: respx.MockRouter) -> None:
    code, text, _ = run(root)
    assert code == 0
    for heading in ("Found (", "Not found (", "Never imported (", "Client secrets of the login app"):
        assert heading in text
    assert "Dry run: nothing written" in text
    assert f"keyId {KEY_ID}" in text
    assert "entra-cloudflare:adopt:" in text


# --- ambiguity and refusals ---------------------------------------------------------------------------


def test_two_apps_with_the_login_apps_name_fail_naming_both(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    twin = "a0000000-0000-4000-8000-0000000000b2"
    setup.applications.append({"id": twin, "appId": "c0000000-0000-4000-8000-0000000000b2", "displayName": LOGIN_NAME})
    before = (root / "stacks" / "Pulumi.dev.yaml").read_text()
    code, _, errors = run(root, "--write")
    assert code == 1
    assert LOGIN_APP in errors and twin in errors and "nothing written" in errors
    assert (root / "stacks" / "Pulumi.dev.yaml").read_text() == before


def test_two_login_methods_with_the_name_fail_naming_both(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    twin = "1d000000-0000-4000-8000-0000000001d2"
    setup.identity_providers.append({"id": twin, "name": IDP_NAME, "type": "azureAD"})
    code, text, errors = run(root, "--json")
    assert code == 1
    assert IDP_ID in errors and twin in errors
    assert json.loads(text)["exitCode"] == 1


def test_two_access_groups_with_the_name_fail(root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter) -> None:
    setup.access_groups.append({"id": "ac000000-0000-4000-8000-0000000000af", "name": "Dev Engineers"})
    code, _, errors = run(root)
    assert code == 1 and ENGINEERS_ID in errors and "ac000000-0000-4000-8000-0000000000af" in errors


@pytest.mark.parametrize(
    ("granted", "named"),
    [
        ({"Synchronization.Read.All", "Group.Read.All"}, "Application.Read.All"),
        ({"Application.Read.All", "Synchronization.Read.All", "Group.Read.All"}, "Directory.Read.All"),
        ({"Application.Read.All", "Directory.Read.All", "Group.Read.All"}, "Synchronization.Read.All"),
        ({"Application.Read.All", "DelegatedPermissionGrant.Read.All", "Synchronization.Read.All"}, "Group.Read.All"),
    ],
)
def test_a_missing_graph_permission_exits_2_naming_it(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter, granted: set[str], named: str
) -> None:
    setup.graph_permissions = granted
    code, _, errors = run(root)
    assert code == 2
    assert f"the Microsoft Graph permission {named}" in errors
    assert "Traceback" not in errors


def test_a_cloudflare_token_without_access_read_exits_2(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    setup.cloudflare_can_read = False
    code, _, errors = run(root)
    assert code == 2 and "Access: Organizations, Identity Providers, and Groups Read" in errors


def test_missing_credentials_exit_2_naming_each(root: Path) -> None:
    code, _, errors = run(root, environ={"PATH": ""}, credential=None)
    assert code == 2
    assert "CLOUDFLARE_API_TOKEN" in errors and "az login" in errors


def test_a_stack_file_with_placeholders_exits_2_with_one_message(tmp_path: Path) -> None:
    copy_fixture_stacks(tmp_path)
    code, _, errors = run(tmp_path)
    assert code == 2 and "cloudflareAccountId" in errors and "Traceback" not in errors


# --- --write ------------------------------------------------------------------------------------------


def test_write_adds_a_block_that_validates_and_keeps_every_comment(root: Path, router: respx.MockRouter) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    before = path.read_text()
    code, text, _ = run(root, "--write")
    assert code == 0 and "Written to stacks/Pulumi.dev.yaml" in text
    after = path.read_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after.splitlines() for line in comments)
    assert after.startswith(before.rstrip("\n"))  # only appended at the end of config:
    assert dict(settings_from_stack_file("dev", root).adopt) == EXPECTED
    assert "  entra-cloudflare:adopt:\n    login-app: /applications/" in after


def test_a_second_write_replaces_the_block(root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    assert run(root, "--write")[0] == 0
    setup.identity_providers = []
    assert run(root, "--write")[0] == 0
    after = path.read_text()
    assert after.count("entra-cloudflare:adopt:") == 1
    assert after.count("written by `make adopt`") == 1
    adopted = yaml.safe_load(after)["config"]["entra-cloudflare:adopt"]
    assert "identity-provider-login-method" not in adopted and adopted["login-app"] == EXPECTED["login-app"]


def test_the_block_goes_inside_config_when_other_top_level_keys_follow(root: Path, router: respx.MockRouter) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "# the backend's key, kept\nencryptionsalt: v1:abc\n")
    assert run(root, "--write")[0] == 0
    document = yaml.safe_load(path.read_text())
    assert document["encryptionsalt"] == "v1:abc"
    assert document["config"]["entra-cloudflare:adopt"] == EXPECTED
    assert "# the backend's key, kept" in path.read_text()


def test_a_block_that_does_not_validate_is_rolled_back(root: Path) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    before = path.read_text()
    with pytest.raises(adopt.WriteError, match="original was restored"):
        adopt.write_adopt("dev", root, {"login-client-secret": "/applications/x"})
    assert path.read_text() == before


def test_replace_block_removes_an_old_block_in_the_middle(root: Path) -> None:
    text = (
        "config:\n"
        "  entra-cloudflare:cloudflareAccountId: x  # a comment\n"
        "  entra-cloudflare:adopt:\n"
        "    login-app: /applications/old\n"
        "  entra-cloudflare:protect: false\n"
    )
    updated = adopt.replace_block(text, {"login-app": f"/applications/{LOGIN_APP}"})
    config = yaml.safe_load(updated)["config"]
    assert config["entra-cloudflare:adopt"] == {"login-app": f"/applications/{LOGIN_APP}"}
    assert config["entra-cloudflare:protect"] is False and "# a comment" in updated
    assert updated.index("protect") < updated.index("entra-cloudflare:adopt:")


@pytest.mark.parametrize("name", ["0o17", "0777", "off", "2024-01-01", "1_000", "plain name"])
def test_a_written_name_reads_back_as_written_by_pulumis_yaml_and_yaml_1_1(name: str) -> None:
    line = adopt.render_block({name: name})[-1]
    assert stack_yaml.load(line.strip()) == {name: name}
    assert yaml.safe_load(line.strip()) == {name: name}


def test_the_users_names_are_what_is_searched(root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  entra-cloudflare:loginAppName: Cloudflare SSO (made by hand)\n")
    setup.applications[0]["displayName"] = "Cloudflare SSO (made by hand)"
    assert report(root)["adopt"]["login-app"] == f"/applications/{LOGIN_APP}"


def test_a_group_named_by_object_id_needs_no_lookup(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("    - Cloudflare Access Dev Users\n", f"    - {ADMINS_GROUP}\n", 1))
    setup.assignments[LOGIN_SP].append(
        {
            "id": "YWRtaW5z",
            "principalId": ADMINS_GROUP,
            "principalType": "Group",
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        }
    )
    result = report(root)
    assert (
        result["adopt"][f"login-assignment-{ADMINS_GROUP}"]
        == f"/servicePrincipals/{LOGIN_SP}/appRoleAssignedTo/YWRtaW5z"
    )


def test_a_stack_without_scim_neither_searches_nor_adopts_a_scim_app(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("    enabled: true\n", "    enabled: false\n", 1))
    result = report(root)
    names = set(result["adopt"]) | {item["name"] for item in result["notFound"]}
    assert names and not any(name.startswith("scim-") for name in names)
    assert not any("synchronization" in str(request.url) for request in setup.requests)


def test_an_unexpected_error_is_one_line_without_a_traceback(monkeypatch: Any) -> None:

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("response field with 'super-secret-value'")

    monkeypatch.setattr(adopt, "discover", broken)
    out, err = io.StringIO(), io.StringIO()
    code = adopt.main(["--stack", "dev"], runtime=adopt.Runtime(environ={}), stdout=out, stderr=err)
    assert code == 2
    assert "adopt stopped on an unexpected KeyError" in err.getvalue()
    assert "super-secret-value" not in out.getvalue() + err.getvalue()


def test_docs_name_every_permission_adopt_asks_for() -> None:
    docs = (ROOT / "docs" / "adopt.md").read_text()
    for permission in permissions.ADOPT:
        assert permission.name in " ".join(docs.split())


@pytest.mark.parametrize(("command", "listed"), [("adopt", permissions.ADOPT), ("verify", permissions.VERIFY)])
def test_each_command_lists_exactly_the_permissions_its_code_names(command: str, listed: tuple[Any, ...]) -> None:
    import re

    source = (ROOT / "ops" / f"{command}.py").read_text()
    used = {getattr(permissions, name) for name in re.findall(r"permissions\.([A-Z_]+)\b", source)}
    assert used == set(listed)


# --- attribute mappings changed by hand --------------------------------------------------------------

COST_CENTER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"
WORK_EMAIL = 'emails[type eq "work"].value'


def customise(setup: FakeHandMadeSetup) -> None:
    """What an administrator did in Provisioning > Mappings, on top of Microsoft's defaults."""
    users = setup.job_schema.schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    by_target = {item["targetAttributeName"]: item for item in users}
    by_target["userName"]["source"] = attribute("mail")
    by_target["name.formatted"]["source"] = {
        "expression": 'Join(", ", [surname], [givenName])',
        "name": "Join",
        "parameters": [],
        "type": "Function",
    }
    by_target[WORK_EMAIL]["source"] = attribute("userPrincipalName")
    users.remove(by_target["title"])
    users.append({**by_target["displayName"], "targetAttributeName": COST_CENTER, "source": attribute("department")})


def test_microsofts_default_mappings_are_nothing_to_adopt(root: Path, router: respx.MockRouter) -> None:
    result = report(root)
    assert (result["userAttributes"], result["attributeMappingNotes"]) == ({}, [])


def test_mappings_changed_by_hand_are_reported_as_user_attributes(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    customise(setup)
    result = report(root)
    assert result["userAttributes"] == {
        "userName": "mail",
        "name.formatted": 'Join(", ", [surname], [givenName])',
        COST_CENTER: "department",
    }
    assert result["attributeMappingNotes"] == [
        f"{WORK_EMAIL} <- userPrincipalName: not written; Cloudflare requires mail, which a deployment that "
        "manages mappings writes",
        "title: removed by hand; scim.userAttributes cannot remove a mapping, so it stays removed unless a "
        "mapping for it is declared",
    ]


def test_write_adds_the_mappings_to_the_scim_object_and_they_validate(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    customise(setup)
    path = root / "stacks" / "Pulumi.dev.yaml"
    before = path.read_text()
    assert run(root, "--write")[0] == 0
    after = path.read_text()
    assert all(line in after.splitlines() for line in before.splitlines())
    assert after.count("userAttributes:") == 1
    managed = settings_from_stack_file("dev", root).scim.user_attributes
    assert managed["userName"] == "mail" and managed[COST_CENTER] == "department"
    assert managed["name.formatted"] == 'Join(", ", [surname], [givenName])'
    assert settings_from_stack_file("dev", root).scim.identity_update_behavior == "reauth"
    assert run(root, "--write")[0] == 0
    assert path.read_text() == after, "a second write changes nothing"


def test_write_keeps_the_stack_files_own_mappings(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    customise(setup)
    path = root / "stacks" / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace(
            "    identityUpdateBehavior: reauth\n",
            "    identityUpdateBehavior: reauth\n    userAttributes:\n      userName: userPrincipalName\n\n",
        )
    )
    assert run(root, "--write")[0] == 0
    managed = settings_from_stack_file("dev", root).scim.user_attributes
    assert managed["userName"] == "userPrincipalName" and managed[COST_CENTER] == "department"
    assert path.read_text().count("userAttributes:") == 1


def test_write_adds_a_scim_object_last_in_config_when_the_stack_file_has_none() -> None:
    text = "config:\n  entra-cloudflare:teamName: acme\n  # kept\nother: 1\n"
    written = adopt.replace_user_attributes(text, {WORK_EMAIL: "mail"})
    assert written == (
        "config:\n  entra-cloudflare:teamName: acme\n  # kept\n  entra-cloudflare:scim:\n    userAttributes:\n"
        '      emails[type eq "work"].value: mail\nother: 1\n'
    )
    assert stack_yaml.load(written)["config"]["entra-cloudflare:scim"] == {"userAttributes": {WORK_EMAIL: "mail"}}


def test_without_the_template_schema_the_mappings_are_not_compared(
    root: Path, setup: FakeHandMadeSetup, router: respx.MockRouter
) -> None:
    customise(setup)
    setup.job_schema.template_schema = {}
    result = report(root)
    assert result["userAttributes"] == {}
    assert result["attributeMappingNotes"][0].startswith("attribute mappings not compared with the template")
