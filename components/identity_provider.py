"""Cloudflare's Azure AD login method (guide step 3, and the Cloudflare half of SCIM).

Creates, as children of one `IdentityProvider` component:
- `<name>-login-method`: a Zero Trust identity provider of type azureAD that signs users in with
  the login app (client ID, client secret, tenant ID) and, when configured, accepts SCIM
  provisioning. Cloudflare computes the SCIM endpoint and secret; they are never inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from components.constants import CLOUDFLARE_ACCESS_DOMAIN, CLOUDFLARE_AZURE_AD_TYPE, CLOUDFLARE_CALLBACK_PATH
from components.settings import ScimSettings


def team_domain(team_name: str) -> str:
    return f"{team_name}.{CLOUDFLARE_ACCESS_DOMAIN}"


def callback_url(domain: str) -> str:
    """The one redirect URI Cloudflare Access uses for OIDC sign-in."""
    return f"https://{domain}{CLOUDFLARE_CALLBACK_PATH}"


def lookup_team_domain(account_id: str) -> pulumi.Output[str]:
    """The account's `<team>.cloudflareaccess.com`, read from its Zero Trust organization."""
    return cloudflare.get_zero_trust_organization_output(account_id=account_id).auth_domain


@dataclass
@dataclass
class IdentityProviderArgs:
    account_id: str
    display_name: str
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    support_groups: bool
    pkce_enabled: bool
    conditional_access_enabled: bool
    scim: ScimSettings
    prompt: str | None = None
    email_claim_name: str | None = None
    protect: bool = False


def scim_config_args(scim: ScimSettings) -> cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs:
    if not scim.enabled:
        return cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs(enabled=False)
    return cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs(
        enabled=True,
        user_deprovision=scim.user_deprovision,
        seat_deprovision=scim.seat_deprovision,
        identity_update_behavior=scim.identity_update_behavior,
    )


class IdentityProvider(pulumi.ComponentResource):
    id: pulumi.Output[str]

    def __init__(self, name: str, args: IdentityProviderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("entracf:sso:IdentityProvider", name, None, opts)

        login_method = cloudflare.ZeroTrustAccessIdentityProvider(
            f"{name}-login-method",
            account_id=args.account_id,
            name=args.display_name,
            type=CLOUDFLARE_AZURE_AD_TYPE,
            config=cloudflare.ZeroTrustAccessIdentityProviderConfigArgs(
                client_id=args.client_id,
                client_secret=pulumi.Output.secret(args.client_secret),
                directory_id=args.tenant_id,
                support_groups=args.support_groups,
                pkce_enabled=args.pkce_enabled,
                conditional_access_enabled=args.conditional_access_enabled,
                prompt=args.prompt,
                email_claim_name=args.email_claim_name,
            ),
            scim_config=scim_config_args(args.scim),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.id = login_method.id
        self._scim_config = login_method.scim_config
        self.register_outputs({"id": self.id})

    def scim_credentials(self) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """Cloudflare's SCIM endpoint and SCIM secret (the secret only ever as a secret).

        `scim_config.secret` would be `Output.secret` (a static method), not the field, so the
        computed fields are read through apply.
        """
        return (
            self._scim_config.apply(lambda c: _computed_scim_field(c, "scim_base_url")),
            pulumi.Output.secret(self._scim_config.apply(lambda c: _computed_scim_field(c, "secret"))),
        )


def _computed_scim_field(scim_config: Any, field: str) -> str:
    value = getattr(scim_config, field, None) if scim_config else None
    if not value:
        # Cloudflare returns the SCIM secret once, when SCIM is first enabled; an imported or
        # refreshed-from-scratch login method has none (README, "Troubleshooting").
        raise ValueError(
            f"Cloudflare returned no SCIM {field} for the login method; see README "
            "'Troubleshooting: no SCIM secret' to issue a new one"
        )
    return str(value)
