"""Cloudflare's Azure AD login method (components/identity_provider.py) under the mock runtime.

Component tests build `IdentityProvider` alone from explicit `IdentityProviderArgs`
(`run_component`): the login method's inputs, options and secrets, and the SCIM endpoint and
secret it hands on. Whole-program tests (`run_program`, marked below) cover what __main__.py and
the settings feed it: the login app's credentials and the tenant, defaults and options as
configured.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pytest
from harness import (
    ACCOUNT_ID,
    TENANT_ID,
    EngineLikeMocks,
    ProgramRun,
    fake_guid,
    is_secret,
    is_secret_at,
    minimal_config,
    reveal,
    run_component,
    run_program,
)

from components.constants import callback_url, team_domain
from components.identity_provider import IdentityProvider, IdentityProviderArgs, ScimOptions

# The login app's credentials, passed plain: the component must make the secret a secret itself.
ARGS = IdentityProviderArgs(
    account_id=ACCOUNT_ID,
    display_name="Entra ID (test)",
    client_id="login-client-id",
    client_secret="login-client-secret",
    tenant_id=TENANT_ID,
    support_groups=True,
    pkce_enabled=True,
    conditional_access_enabled=False,
    scim=ScimOptions(enabled=True),
)


def identity_provider(mocks: EngineLikeMocks | None = None, **changes: Any) -> ProgramRun:
    args = replace(ARGS, **changes)
    return run_component(lambda: IdentityProvider("identity-provider", args), mocks=mocks)


def scim_outputs(mocks: EngineLikeMocks | None = None, **changes: Any) -> ProgramRun:
    """The component's SCIM endpoint and secret, as what it exports."""
    args = replace(ARGS, **changes)

    def build() -> dict[str, Any]:
        idp = IdentityProvider("identity-provider", args)
        return {"scim_endpoint": idp.scim_endpoint, "scim_secret": idp.scim_secret}

    return run_component(build, mocks=mocks)


def test_team_domain_and_callback_url() -> None:
    assert team_domain("acme") == "acme.cloudflareaccess.com"
    assert callback_url("acme.cloudflareaccess.com") == "https://acme.cloudflareaccess.com/cdn-cgi/access/callback"


# --- the component ---------------------------------------------------------------------------------


def test_login_method_is_azure_ad_on_the_given_account() -> None:
    idp = identity_provider(account_id="fedcba9876543210fedcba9876543210", display_name="Contoso Entra").named(
        "identity-provider-login-method"
    )
    assert idp.inputs["type"] == "azureAD"
    assert idp.inputs["accountId"] == "fedcba9876543210fedcba9876543210"
    assert idp.inputs["name"] == "Contoso Entra"


def test_credentials_and_options_reach_cloudflare_as_given() -> None:
    run = identity_provider(
        support_groups=False,
        pkce_enabled=False,
        conditional_access_enabled=True,
        prompt="select_account",
        email_claim_name="preferred_username",
    )
    assert reveal(run.named("identity-provider-login-method").inputs["config"]) == {
        "clientId": "login-client-id",
        "clientSecret": "login-client-secret",
        "directoryId": TENANT_ID,
        "supportGroups": False,
        "pkceEnabled": False,
        "conditionalAccessEnabled": True,
        "prompt": "select_account",
        "emailClaimName": "preferred_username",
    }


def test_prompt_and_email_claim_are_left_to_cloudflare_when_not_given() -> None:
    config = reveal(identity_provider().named("identity-provider-login-method").inputs["config"])
    assert "prompt" not in config and "emailClaimName" not in config


def test_client_secret_reaches_cloudflare_only_as_a_secret() -> None:
    idp = identity_provider().named("identity-provider-login-method")
    assert is_secret_at(idp.inputs["config"], "clientSecret")


def test_login_method_is_a_child_protected_and_imported_as_given() -> None:
    run = identity_provider(protect=True, import_id=f"accounts/{ACCOUNT_ID}/existing")
    idp = run.named("identity-provider-login-method")
    assert idp.parent == run.one("entracf:sso:IdentityProvider").urn
    assert idp.protect is True
    assert idp.import_id == f"accounts/{ACCOUNT_ID}/existing"
    plain = identity_provider().named("identity-provider-login-method")
    assert (plain.protect, plain.import_id) == (False, "")


def test_scim_config_as_given_with_nothing_computed_as_input() -> None:
    scim = ScimOptions(enabled=True, user_deprovision=True, seat_deprovision=True, identity_update_behavior="automatic")
    run = identity_provider(scim=scim)
    assert reveal(run.named("identity-provider-login-method").inputs["scimConfig"]) == {
        "enabled": True,
        "userDeprovision": True,
        "seatDeprovision": True,
        "identityUpdateBehavior": "automatic",
    }


def test_scim_off_when_disabled() -> None:
    run = identity_provider(scim=ScimOptions(enabled=False))
    assert reveal(run.named("identity-provider-login-method").inputs["scimConfig"]) == {"enabled": False}
    assert scim_outputs(scim=ScimOptions(enabled=False)).exports == {}


def test_scim_endpoint_and_secret_are_what_cloudflare_returned_the_secret_as_a_secret() -> None:
    run = scim_outputs()
    returned = reveal(run.named("identity-provider-login-method").outputs["scimConfig"])
    # The SDK lifts the secret field's secretness to all of `scimConfig`; the endpoint is made plain.
    assert is_secret_at(run.named("identity-provider-login-method").outputs["scimConfig"], "secret")
    assert not is_secret(run.exports["scim_endpoint"])
    assert run.exports["scim_endpoint"] == returned["scimBaseUrl"]
    assert returned["scimBaseUrl"].startswith("https://acme-test.cloudflareaccess.com/populations/")
    assert is_secret(run.exports["scim_secret"])
    assert reveal(run.exports["scim_secret"]) == returned["secret"]


def test_a_given_scim_secret_wins_over_the_returned_one_and_stays_a_secret() -> None:
    run = scim_outputs(scim_secret_override="regenerated-token")
    assert is_secret(run.exports["scim_secret"])
    assert reveal(run.exports["scim_secret"]) == "regenerated-token"


def test_missing_scim_secret_fails_with_a_pointer_to_recovery() -> None:
    class ImportedLoginMethod(EngineLikeMocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            resource_id, state = super().new_resource(args)
            if "scimConfig" in state and isinstance(state["scimConfig"], dict):
                state["scimConfig"] = {k: v for k, v in state["scimConfig"].items() if k != "secret"}
            return resource_id, state

    with pytest.raises(Exception, match=r"Cloudflare returned no SCIM secret .* Regenerate Secret"):
        scim_outputs(mocks=ImportedLoginMethod())


def test_outputs_are_the_login_method_id_only() -> None:
    run = identity_provider()
    login_method = run.named("identity-provider-login-method")
    assert run.exports == {"id": fake_guid(login_method.type, login_method.name)}


# --- whole program: what __main__.py and the settings feed the login method ------------------------


def test_login_app_client_id_secret_and_tenant_reach_cloudflare() -> None:
    run = run_program(minimal_config())
    config = reveal(run.named("identity-provider-login-method").inputs["config"])
    assert config["clientId"] == run.named("login-app").outputs["clientId"]
    assert config["clientSecret"] == reveal(run.named("login-client-secret").outputs["value"])
    assert config["directoryId"] == TENANT_ID
    assert "redirectUrl" not in config


def test_secure_defaults_on_the_configured_account() -> None:
    idp = run_program(minimal_config(), stack="dev").named("identity-provider-login-method")
    assert idp.inputs["accountId"] == ACCOUNT_ID
    assert idp.inputs["name"] == "Entra ID (dev)"
    config = reveal(idp.inputs["config"])
    assert config["pkceEnabled"] is True
    assert config["supportGroups"] is True
    assert config["conditionalAccessEnabled"] is False
    assert "prompt" not in config and "emailClaimName" not in config
    assert reveal(idp.inputs["scimConfig"]) == {
        "enabled": True,
        "userDeprovision": True,
        "seatDeprovision": False,
        "identityUpdateBehavior": "reauth",
    }


def test_options_are_passed_as_configured() -> None:
    run = run_program(
        minimal_config(
            pkceEnabled=False,
            conditionalAccessEnabled=True,
            prompt="select_account",
            emailClaimName="preferred_username",
            identityProviderName="Contoso Entra",
            scim={"seatDeprovision": True, "identityUpdateBehavior": "automatic"},
        )
    )
    idp = run.named("identity-provider-login-method")
    config = reveal(idp.inputs["config"])
    assert config["pkceEnabled"] is False
    assert config["conditionalAccessEnabled"] is True
    assert config["prompt"] == "select_account"
    assert config["emailClaimName"] == "preferred_username"
    assert idp.inputs["name"] == "Contoso Entra"
    assert reveal(idp.inputs["scimConfig"]) == {
        "enabled": True,
        "userDeprovision": True,
        "seatDeprovision": True,
        "identityUpdateBehavior": "automatic",
    }
