"""The login app (components/login_app.py), run through the program under the mock runtime."""

from __future__ import annotations

import pytest
from harness import (
    GRAPH_SCOPE_TABLE,
    GRAPH_SP_OBJECT_ID,
    EngineLikeMocks,
    fake_guid,
    is_secret,
    minimal_config,
    reveal,
    run_program,
)

from components.login_app import verified_scope_names

MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"
SEVEN = ["email", "offline_access", "openid", "profile", "User.Read", "Directory.Read.All", "GroupMember.Read.All"]
GUID = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"


def test_redirect_uri_is_exactly_the_cloudflare_callback_and_nothing_else() -> None:
    app = run_program(minimal_config(teamName="acme-test")).named("login-app")
    web = reveal(app.inputs["web"])
    assert web["redirectUris"] == ["https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback"]
    assert web["implicitGrant"] == {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
    assert "singlePageApplication" not in app.inputs and "publicClient" not in app.inputs


def test_team_name_is_read_from_cloudflare_when_not_configured() -> None:
    run = run_program(
        minimal_config(teamName=None), mocks=EngineLikeMocks(team_domain="looked-up.cloudflareaccess.com")
    )
    web = reveal(run.named("login-app").inputs["web"])
    assert web["redirectUris"] == ["https://looked-up.cloudflareaccess.com/cdn-cgi/access/callback"]
    assert run.mocks.calls["getZeroTrustOrganization"] == 1


def test_configured_team_name_needs_no_cloudflare_lookup() -> None:
    assert run_program(minimal_config(teamName="acme-test")).mocks.calls["getZeroTrustOrganization"] == 0


def test_app_is_single_tenant() -> None:
    app = run_program(minimal_config()).named("login-app")
    assert app.inputs["signInAudience"] == "AzureADMyOrg"


def test_requests_exactly_the_seven_delegated_graph_scopes_by_id() -> None:
    app = run_program(minimal_config()).named("login-app")
    [graph] = reveal(app.inputs["requiredResourceAccesses"])
    assert graph["resourceAppId"] == MICROSOFT_GRAPH
    requested = sorted((access["id"], access["type"]) for access in graph["resourceAccesses"])
    assert requested == sorted((GRAPH_SCOPE_TABLE[name], "Scope") for name in SEVEN)


def test_group_claims_follow_support_groups() -> None:
    assert run_program(minimal_config()).named("login-app").inputs["groupMembershipClaims"] == ["SecurityGroup"]
    without = run_program(minimal_config(supportGroups=False)).named("login-app")
    assert "groupMembershipClaims" not in without.inputs


def test_display_name_defaults_to_include_the_stack() -> None:
    assert run_program(minimal_config(), stack="prod").named("login-app").inputs["displayName"] == (
        "Cloudflare Access (prod)"
    )
    named = run_program(minimal_config(loginAppName="Zero Trust SSO")).named("login-app")
    assert named.inputs["displayName"] == "Zero Trust SSO"


def test_service_principal_requires_assignment_as_configured() -> None:
    run = run_program(minimal_config())
    sp = run.named("login-service-principal")
    assert sp.inputs["clientId"] == run.named("login-app").outputs["clientId"]
    assert sp.inputs["appRoleAssignmentRequired"] is True
    assert reveal(sp.inputs["featureTags"]) == [{"enterprise": True}]
    off = run_program(minimal_config(assignmentRequired=False, signInGroups=[], scim={"enabled": False}))
    assert off.named("login-service-principal").inputs["appRoleAssignmentRequired"] is False


def test_admin_consent_is_one_tenant_wide_grant_with_the_seven_scope_names() -> None:
    run = run_program(minimal_config())
    [grant] = run.of_type("ServicePrincipalDelegatedPermissionGrant")
    assert grant.inputs["servicePrincipalObjectId"] == run.named("login-service-principal").outputs["objectId"]
    assert grant.inputs["resourceServicePrincipalObjectId"] == GRAPH_SP_OBJECT_ID
    assert sorted(grant.inputs["claimValues"]) == sorted(SEVEN)
    assert "userObjectId" not in grant.inputs
    assert run.mocks.call_args.count(("getServicePrincipal", {"clientId": MICROSOFT_GRAPH})) == 1


def test_consent_is_refused_when_a_scope_id_disagrees_with_graph() -> None:
    wrong = {**GRAPH_SCOPE_TABLE, "User.Read": fake_guid("not-user-read")}
    with pytest.raises(Exception, match=r"User\.Read: constant e1fe6dd8-ba31-4d61-89e7-88639da4683d, Graph says"):
        run_program(minimal_config(), mocks=EngineLikeMocks(graph_scopes=wrong))


def test_verified_scope_names_reports_a_missing_scope() -> None:
    partial = {k: v for k, v in GRAPH_SCOPE_TABLE.items() if k != "openid"}
    with pytest.raises(ValueError, match=r"openid: constant .* Graph says no such scope"):
        verified_scope_names(partial)
    assert verified_scope_names(GRAPH_SCOPE_TABLE) == SEVEN


def test_each_sign_in_group_is_assigned_to_the_service_principal() -> None:
    run = run_program(minimal_config(signInGroups=["Engineering", GUID]))
    sp_object_id = run.named("login-service-principal").outputs["objectId"]
    assignments = {r.name: r.inputs for r in run.of_type("AppRoleAssignment") if r.name.startswith("login-assignment-")}
    assert assignments == {
        "login-assignment-engineering": {
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "principalObjectId": fake_guid("group", "Engineering"),
            "resourceObjectId": sp_object_id,
        },
        f"login-assignment-{GUID}": {
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "principalObjectId": GUID,
            "resourceObjectId": sp_object_id,
        },
    }


def test_client_secret_has_an_explicit_end_date_and_a_window_key() -> None:
    run = run_program(minimal_config())
    secret = run.named("login-client-secret")
    assert secret.inputs["applicationId"] == f"/applications/{run.named('login-app').outputs['objectId']}"
    assert secret.inputs["endDate"] == "2026-04-20T00:00:00Z"
    assert "endDateRelative" not in secret.inputs
    assert secret.inputs["rotateWhenChanged"] == {"rotationWindowStart": "2025-12-21T00:00:00Z"}


def test_client_secret_value_comes_back_only_as_a_secret() -> None:
    secret = run_program(minimal_config()).named("login-client-secret")
    assert is_secret(secret.outputs["value"])


def test_children_are_parented_to_the_component() -> None:
    run = run_program(minimal_config())
    component = run.one("entracf:sso:LoginApp")
    children = [r for r in run.registrations if r.name.startswith("login-")]
    assert len(children) == 5
    assert {r.parent for r in children} == {component.urn}
