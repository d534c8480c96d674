"""Cloudflare's Azure AD login method (guide step 3, and the Cloudflare half of SCIM).

Creates, as children of one `IdentityProvider` component:
- `<name>-login-method`: a Zero Trust identity provider of type azureAD that signs users in with
  the login app (client ID, client secret, tenant ID) and, when configured, accepts SCIM
  provisioning. Cloudflare computes the SCIM endpoint and secret; they are never inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    scim_endpoint: pulumi.Output[str | None]
    scim_secret: pulumi.Output[str | None]

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

        # `login_method.scim_config.secret` would be Output.secret (a static method), not the
        # field: read the computed fields through apply.
        self.id = login_method.id
        self.scim_endpoint = login_method.scim_config.apply(lambda c: c.scim_base_url if c else None)
        self.scim_secret = pulumi.Output.secret(login_method.scim_config.apply(lambda c: c.secret if c else None))
        self.register_outputs({"id": self.id, "scim_endpoint": self.scim_endpoint})
