"""Group resolution (components/groups.py) and Access groups (components/access_groups.py).

Whole-program tests (`run_program`): resolution spans the program's lists, and the Access group
tests cover the composition (groups resolved, on this stack's login method, exported). The one
component test builds `AccessGroups` alone from explicit `AccessGroupsArgs` (`run_component`).
"""

from __future__ import annotations

import pytest
from harness import ACCOUNT_ID, EngineLikeMocks, fake_guid, minimal_config, run_component, run_program

from components.access_groups import AccessGroups, AccessGroupsArgs
from components.groups import LOOKUP_BATCH

GUID = "2f0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5b6c"


def test_display_name_is_resolved_and_object_id_used_as_given() -> None:
    run = run_program(minimal_config(signInGroups=["Engineering", GUID]))
    assert run.exports["azureGroupObjectIds"] == {"Engineering": fake_guid("group", "Engineering"), GUID: GUID}
    assert [args for token, args in run.mocks.call_args if token == "getGroups"] == [{"displayNames": ["Engineering"]}]


def test_each_distinct_group_is_resolved_once_across_all_lists() -> None:
    mocks = EngineLikeMocks()
    run = run_program(
        minimal_config(
            signInGroups=["Engineering", "Finance"],
            scim={"groups": ["Engineering", "Contractors"]},
            accessGroups={"Eng": "Engineering", "Money": "Finance", "Admins": GUID},
        ),
        mocks=mocks,
    )
    looked_up = [args["displayNames"] for token, args in mocks.call_args if token == "getGroups"]
    assert looked_up == [["Engineering", "Finance", "Contractors"]]
    assert run.exports["azureGroupObjectIds"] == {
        "Engineering": fake_guid("group", "Engineering"),
        "Finance": fake_guid("group", "Finance"),
        "Contractors": fake_guid("group", "Contractors"),
        GUID: GUID,
    }


def test_display_names_are_looked_up_in_batches_and_each_gets_its_own_object_id() -> None:
    names = [f"Team {index:03d}" for index in range(2 * LOOKUP_BATCH + 3)]
    mocks = EngineLikeMocks()
    run = run_program(minimal_config(signInGroups=[names[0], GUID, *names[1:]]), mocks=mocks)
    batches = [args["displayNames"] for token, args in mocks.call_args if token == "getGroups"]
    assert batches == [names[:LOOKUP_BATCH], names[LOOKUP_BATCH : 2 * LOOKUP_BATCH], names[2 * LOOKUP_BATCH :]]
    assert run.exports["azureGroupObjectIds"] == {GUID: GUID} | {name: fake_guid("group", name) for name in names}
    assigned = {r.inputs["principalObjectId"] for r in run.of_type("AppRoleAssignment") if r.name.startswith("login-")}
    assert assigned == {GUID} | {fake_guid("group", name) for name in names}


@pytest.mark.parametrize(
    ("missing", "ambiguous", "message"),
    [
        ({"Finance"}, set(), 'No group found with display name: "Finance"'),
        (set(), {"Finance"}, 'More than one group found with display name: "Finance"'),
    ],
)
def test_a_name_no_group_or_several_groups_have_fails_the_run_naming_it(
    missing: set[str], ambiguous: set[str], message: str
) -> None:
    mocks = EngineLikeMocks(missing_groups=frozenset(missing), ambiguous_groups=frozenset(ambiguous))
    with pytest.raises(Exception, match=message):
        run_program(minimal_config(signInGroups=["Engineering", "Finance"]), mocks=mocks)


def test_access_groups_component_includes_each_given_group_on_the_given_login_method() -> None:
    engineering = fake_guid("group", "Engineering")
    args = AccessGroupsArgs(
        account_id=ACCOUNT_ID,
        identity_provider_id="login-method-id",
        groups={"Engineers": engineering, "Platform Admins": GUID},
        adopt={"access-groups-platform-admins": f"accounts/{ACCOUNT_ID}/existing"},
    )
    run = run_component(lambda: AccessGroups("access-groups", args))
    component = run.one("entracf:access:AccessGroups")
    groups = {r.name: r for r in run.of_type("ZeroTrustAccessGroup")}
    assert {name: (r.inputs, r.parent, r.import_id) for name, r in groups.items()} == {
        f"access-groups-{slug}": (
            {
                "accountId": ACCOUNT_ID,
                "name": access_name,
                "includes": [{"azureAd": {"id": object_id, "identityProviderId": "login-method-id"}}],
            },
            component.urn,
            import_id,
        )
        for slug, access_name, object_id, import_id in (
            ("engineers", "Engineers", engineering, ""),
            ("platform-admins", "Platform Admins", GUID, f"accounts/{ACCOUNT_ID}/existing"),
        )
    }
    group_type = groups["access-groups-engineers"].type
    assert run.exports == {
        "ids": {
            "Engineers": fake_guid(group_type, "access-groups-engineers"),
            "Platform Admins": fake_guid(group_type, "access-groups-platform-admins"),
        }
    }


def test_access_group_includes_the_entra_group_on_this_stacks_login_method() -> None:
    run = run_program(minimal_config(accessGroups={"Engineers": "Engineering", "Admins": GUID}))
    idp_id = run.exports["identityProviderId"]
    groups = {r.inputs["name"]: r for r in run.of_type("ZeroTrustAccessGroup")}
    assert sorted(groups) == ["Admins", "Engineers"]
    assert groups["Engineers"].inputs["includes"] == [
        {"azureAd": {"id": fake_guid("group", "Engineering"), "identityProviderId": idp_id}}
    ]
    assert groups["Admins"].inputs["includes"] == [{"azureAd": {"id": GUID, "identityProviderId": idp_id}}]
    assert {r.inputs["accountId"] for r in groups.values()} == {"0123456789abcdef0123456789abcdef"}
    assert groups["Admins"].name == "access-groups-admins"


def test_access_group_ids_are_exported_by_name() -> None:
    run = run_program(minimal_config(accessGroups={"Engineers": "Engineering"}))
    [group] = run.of_type("ZeroTrustAccessGroup")
    assert run.exports["accessGroupIds"] == {"Engineers": fake_guid(group.type, group.name)}


def test_no_access_groups_declares_none() -> None:
    run = run_program(minimal_config())
    assert run.of_type("ZeroTrustAccessGroup") == []
    assert run.of_type("entracf:access:AccessGroups") == []
    assert "accessGroupIds" not in run.exports
