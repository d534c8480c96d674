"""The login app (components/login_app.py) under the mock runtime.

Component tests build `LoginApp` alone from explicit `LoginAppArgs` (`run_component`): its
resources, their inputs, wiring and secrets, and its outputs. Whole-program tests (`run_program`,
marked below) cover what __main__.py and the settings feed it: the redirect URI from the team
name, default names, options and groups as configured.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from harness import (
    GRAPH_SCOPE_TABLE,
    GRAPH_SP_OBJECT_ID,
    EngineLikeMocks,
    ProgramRun,
    fake_guid,
    is_secret,
    minimal_config,
    reveal,
    run_component,
    run_program,
)

from components.login_app import LoginApp, LoginAppArgs, verified_scope_names
from components.rotation import RotationWindow

MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"
SEVEN = ["email", "offline_access", "openid", "profile", "User.Read", "Directory.Read.All", "GroupMember.Read.All"]
GUID = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"
ENGINEERING = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"
REDIRECT_URI = "https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback"
# Four distinct instants, so a secret built from the wrong one fails.
WINDOW = RotationWindow(
    index=8,
    starts_at=datetime(2025, 12, 21, tzinfo=UTC),
    ends_at=datetime(2026, 3, 21, tzinfo=UTC),
    secret_expires_at=datetime(2026, 4, 20, tzinfo=UTC),
)
ARGS = LoginAppArgs(
    display_name="Cloudflare Access (test)",
    redirect_uri=REDIRECT_URI,
    support_groups=True,
    assignment_required=True,
    rotation=WINDOW,
    sign_in_groups={"engineering": ENGINEERING},
)


def login_app(mocks: EngineLikeMocks | None = None, **changes: Any) -> ProgramRun:
    args = replace(ARGS, **changes)
    return run_component(lambda: LoginApp("login", args), mocks=mocks)


# --- the component ---------------------------------------------------------------------------------


def test_redirect_uri_is_exactly_the_given_callback_and_nothing_else() -> None:
    app = login_app().named("login-app")
    web = reveal(app.inputs["web"])
    assert web["redirectUris"] == [REDIRECT_URI]
    assert web["implicitGrant"] == {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
    assert "singlePageApplication" not in app.inputs and "publicClient" not in app.inputs


def test_app_is_single_tenant_with_the_given_name() -> None:
    app = login_app(display_name="Zero Trust SSO").named("login-app")
    assert app.inputs["signInAudience"] == "AzureADMyOrg"
    assert app.inputs["displayName"] == "Zero Trust SSO"


def test_requests_exactly_the_seven_delegated_graph_scopes_by_id() -> None:
    app = login_app().named("login-app")
    [graph] = reveal(app.inputs["requiredResourceAccesses"])
    assert graph["resourceAppId"] == MICROSOFT_GRAPH
    requested = sorted((access["id"], access["type"]) for access in graph["resourceAccesses"])
    assert requested == sorted((GRAPH_SCOPE_TABLE[name], "Scope") for name in SEVEN)


def test_id_tokens_carry_the_email_optional_claim() -> None:
    # Entra sends a member's email only when asked; Cloudflare would otherwise take the UPN.
    app = login_app().named("login-app")
    assert reveal(app.inputs["optionalClaims"]) == {"idTokens": [{"name": "email"}]}


def test_group_claims_follow_support_groups() -> None:
    assert login_app(support_groups=True).named("login-app").inputs["groupMembershipClaims"] == ["SecurityGroup"]
    assert "groupMembershipClaims" not in login_app(support_groups=False).named("login-app").inputs


def test_service_principal_requires_assignment_as_given() -> None:
    run = login_app(assignment_required=True)
    sp = run.named("login-service-principal")
    assert sp.inputs["clientId"] == run.named("login-app").outputs["clientId"]
    assert sp.inputs["appRoleAssignmentRequired"] is True
    assert reveal(sp.inputs["featureTags"]) == [{"enterprise": True}]
    off = login_app(assignment_required=False, sign_in_groups={})
    assert off.named("login-service-principal").inputs["appRoleAssignmentRequired"] is False


def test_admin_consent_is_one_tenant_wide_grant_with_the_seven_scope_names() -> None:
    run = login_app()
    [grant] = run.of_type("ServicePrincipalDelegatedPermissionGrant")
    assert grant.inputs["servicePrincipalObjectId"] == run.named("login-service-principal").outputs["objectId"]
    assert grant.inputs["resourceServicePrincipalObjectId"] == GRAPH_SP_OBJECT_ID
    assert sorted(grant.inputs["claimValues"]) == sorted(SEVEN)
    assert "userObjectId" not in grant.inputs
    assert run.mocks.call_args.count(("getServicePrincipal", {"clientId": MICROSOFT_GRAPH})) == 1


def test_consent_is_refused_when_a_scope_id_disagrees_with_graph() -> None:
    wrong = {**GRAPH_SCOPE_TABLE, "User.Read": fake_guid("not-user-read")}
    with pytest.raises(Exception, match=r"User\.Read: constant e1fe6dd8-ba31-4d61-89e7-88639da4683d, Graph says"):
        login_app(mocks=EngineLikeMocks(graph_scopes=wrong))


def test_verified_scope_names_reports_a_missing_scope() -> None:
    partial = {k: v for k, v in GRAPH_SCOPE_TABLE.items() if k != "openid"}
    with pytest.raises(ValueError, match=r"openid: constant .* Graph says no such scope"):
        verified_scope_names(partial)
    assert verified_scope_names(GRAPH_SCOPE_TABLE) == SEVEN


def test_each_sign_in_group_is_assigned_to_the_service_principal() -> None:
    run = login_app(sign_in_groups={"engineering": ENGINEERING, GUID: GUID})
    sp_object_id = run.named("login-service-principal").outputs["objectId"]
    assignments = {r.name: r.inputs for r in run.of_type("AppRoleAssignment")}
    assert assignments == {
        "login-assignment-engineering": {
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "principalObjectId": ENGINEERING,
            "resourceObjectId": sp_object_id,
        },
        f"login-assignment-{GUID}": {
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "principalObjectId": GUID,
            "resourceObjectId": sp_object_id,
        },
    }


def test_client_secret_has_an_explicit_end_date_and_a_window_key() -> None:
    run = login_app()
    secret = run.named("login-client-secret")
    assert secret.inputs["applicationId"] == f"/applications/{run.named('login-app').outputs['objectId']}"
    assert secret.inputs["endDate"] == "2026-04-20T00:00:00Z"
    assert "endDateRelative" not in secret.inputs
    assert secret.inputs["rotateWhenChanged"] == {"rotationWindowStart": "2025-12-21T00:00:00Z"}


def test_client_secret_value_comes_back_only_as_a_secret() -> None:
    def build() -> dict[str, Any]:
        return {"client_secret": LoginApp("login", ARGS).client_secret}

    run = run_component(build)
    assert is_secret(run.named("login-client-secret").outputs["value"])
    assert is_secret(run.exports["client_secret"])
    assert reveal(run.exports["client_secret"]) == reveal(run.named("login-client-secret").outputs["value"])


def test_outputs_are_the_ids_and_expiry_never_the_secret() -> None:
    run = login_app()
    app, secret = run.named("login-app"), run.named("login-client-secret")
    assert run.exports == {
        "client_id": app.outputs["clientId"],
        "object_id": app.outputs["objectId"],
        "service_principal_object_id": run.named("login-service-principal").outputs["objectId"],
        "secret_expires_at": "2026-04-20T00:00:00Z",
        "client_secret_key_id": secret.outputs["keyId"],
    }
    assert reveal(secret.outputs["value"]) not in repr(run.exports)


def test_children_are_parented_to_the_component() -> None:
    run = login_app()
    component = run.one("entracf:sso:LoginApp")
    children = {r.name: r.parent for r in run.registrations if r is not component}
    assert children == dict.fromkeys(
        [
            "login-app",
            "login-service-principal",
            "login-consent-grant",
            "login-assignment-engineering",
            "login-client-secret",
        ],
        component.urn,
    )


# --- whole program: what __main__.py and the settings feed the login app ---------------------------


def test_configured_team_name_gives_the_callback_without_a_cloudflare_lookup() -> None:
    run = run_program(minimal_config(teamName="acme-test"))
    web = reveal(run.named("login-app").inputs["web"])
    assert web["redirectUris"] == ["https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback"]
    assert run.mocks.calls["getZeroTrustOrganization"] == 0


def test_team_name_is_read_from_cloudflare_when_not_configured() -> None:
    run = run_program(
        minimal_config(teamName=None), mocks=EngineLikeMocks(team_domain="looked-up.cloudflareaccess.com")
    )
    web = reveal(run.named("login-app").inputs["web"])
    assert web["redirectUris"] == ["https://looked-up.cloudflareaccess.com/cdn-cgi/access/callback"]
    assert run.mocks.calls["getZeroTrustOrganization"] == 1


def test_display_name_defaults_to_include_the_stack() -> None:
    assert run_program(minimal_config(), stack="prod").named("login-app").inputs["displayName"] == (
        "Cloudflare Access (prod)"
    )
    named = run_program(minimal_config(loginAppName="Zero Trust SSO")).named("login-app")
    assert named.inputs["displayName"] == "Zero Trust SSO"


def test_group_claims_and_assignment_are_on_by_default_and_follow_config() -> None:
    default = run_program(minimal_config())
    assert default.named("login-app").inputs["groupMembershipClaims"] == ["SecurityGroup"]
    assert default.named("login-service-principal").inputs["appRoleAssignmentRequired"] is True
    off = run_program(
        minimal_config(supportGroups=False, assignmentRequired=False, signInGroups=[], scim={"enabled": False})
    )
    assert "groupMembershipClaims" not in off.named("login-app").inputs
    assert off.named("login-service-principal").inputs["appRoleAssignmentRequired"] is False


def test_sign_in_groups_are_resolved_and_assigned_by_slug() -> None:
    run = run_program(minimal_config(signInGroups=["Engineering", GUID]))
    principals = {
        r.name: r.inputs["principalObjectId"]
        for r in run.of_type("AppRoleAssignment")
        if r.name.startswith("login-assignment-")
    }
    assert principals == {
        "login-assignment-engineering": fake_guid("group", "Engineering"),
        f"login-assignment-{GUID}": GUID,
    }


@pytest.mark.parametrize("email_claim_name", [None, "preferred_username"])
def test_email_claim_is_requested_whatever_claim_cloudflare_reads(email_claim_name: str | None) -> None:
    run = run_program(minimal_config(emailClaimName=email_claim_name))
    assert reveal(run.named("login-app").inputs["optionalClaims"]) == {"idTokens": [{"name": "email"}]}
    config = reveal(run.named("identity-provider-login-method").inputs["config"])
    assert config.get("emailClaimName") == email_claim_name
