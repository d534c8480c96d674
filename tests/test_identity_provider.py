"""Cloudflare's Azure AD login method (components/identity_provider.py) under the mock runtime."""

from __future__ import annotations

from harness import TENANT_ID, is_secret_at, minimal_config, reveal, run_program

from components.identity_provider import callback_url, team_domain


def test_team_domain_and_callback_url() -> None:
    assert team_domain("acme") == "acme.cloudflareaccess.com"
    assert callback_url("acme.cloudflareaccess.com") == "https://acme.cloudflareaccess.com/cdn-cgi/access/callback"


def test_login_method_is_azure_ad_on_the_configured_account() -> None:
    idp = run_program(minimal_config(), stack="dev").named("identity-provider-login-method")
    assert idp.inputs["type"] == "azureAD"
    assert idp.inputs["accountId"] == "0123456789abcdef0123456789abcdef"
    assert idp.inputs["name"] == "Entra ID (dev)"


def test_login_app_client_id_secret_and_tenant_reach_cloudflare() -> None:
    run = run_program(minimal_config())
    config = reveal(run.named("identity-provider-login-method").inputs["config"])
    assert config["clientId"] == run.named("login-app").outputs["clientId"]
    assert config["clientSecret"] == reveal(run.named("login-client-secret").outputs["value"])
    assert config["directoryId"] == TENANT_ID
    assert "redirectUrl" not in config


def test_client_secret_reaches_cloudflare_only_as_a_secret() -> None:
    idp = run_program(minimal_config()).named("identity-provider-login-method")
    assert is_secret_at(idp.inputs["config"], "clientSecret")


def test_secure_defaults_for_pkce_groups_and_conditional_access() -> None:
    config = reveal(run_program(minimal_config()).named("identity-provider-login-method").inputs["config"])
    assert config["pkceEnabled"] is True
    assert config["supportGroups"] is True
    assert config["conditionalAccessEnabled"] is False
    assert "prompt" not in config and "emailClaimName" not in config


def test_options_are_passed_as_configured() -> None:
    run = run_program(
        minimal_config(
            pkceEnabled=False,
            conditionalAccessEnabled=True,
            prompt="select_account",
            emailClaimName="preferred_username",
            identityProviderName="Contoso Entra",
        )
    )
    idp = run.named("identity-provider-login-method")
    config = reveal(idp.inputs["config"])
    assert config["pkceEnabled"] is False
    assert config["conditionalAccessEnabled"] is True
    assert config["prompt"] == "select_account"
    assert config["emailClaimName"] == "preferred_username"
    assert idp.inputs["name"] == "Contoso Entra"


def test_scim_config_as_configured_with_nothing_computed_as_input() -> None:
    run = run_program(minimal_config(scim={"userDeprovision": True, "seatDeprovision": True}))
    scim = reveal(run.named("identity-provider-login-method").inputs["scimConfig"])
    assert scim == {
        "enabled": True,
        "userDeprovision": True,
        "seatDeprovision": True,
        "identityUpdateBehavior": "reauth",
    }


def test_scim_off_when_disabled() -> None:
    run = run_program(minimal_config(scim={"enabled": False}))
    assert reveal(run.named("identity-provider-login-method").inputs["scimConfig"]) == {"enabled": False}
