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

from components.constants import CLOUDFLARE_AZURE_AD_TYPE

# Cloudflare redacts a secret it has already shown as a run of asterisks (terraform-provider-cloudflare issue 2743).
REDACTED = "***"


def lookup_team_domain(account_id: str) -> pulumi.Output[str]:
    """The account's `<team>.cloudflareaccess.com`, read from its Zero Trust organization."""
    return cloudflare.get_zero_trust_organization_output(account_id=account_id).auth_domain


@dataclass(frozen=True)
class ScimOptions:
    """The login method's SCIM settings (the guide's "Enable SCIM" dialog)."""

    enabled: bool
    user_deprovision: bool = True
    seat_deprovision: bool = False
    identity_update_behavior: str = "reauth"


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
    scim: ScimOptions
    prompt: str | None = None
    email_claim_name: str | None = None
    protect: bool = False
    # A SCIM secret the user set after "Regenerate Secret" (stack config `scimSecret`): it wins
    # over the one Cloudflare returned when SCIM was first enabled (kept in state).
    scim_secret_override: pulumi.Input[str | None] | None = None
    # Import ID of a login method made by hand (`adopt` block), taken over on the next deployment.
    import_id: str | None = None


def scim_config_args(scim: ScimOptions) -> cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs:
    if not scim.enabled:
        return cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs(enabled=False)
    return cloudflare.ZeroTrustAccessIdentityProviderScimConfigArgs(
        enabled=True,
        user_deprovision=scim.user_deprovision,
        seat_deprovision=scim.seat_deprovision,
        identity_update_behavior=scim.identity_update_behavior,
    )


class IdentityProvider(pulumi.ComponentResource):
    """The login method, and (with SCIM) its endpoint and secret as `scim_endpoint` / `scim_secret`."""

    id: pulumi.Output[str]
    scim_endpoint: pulumi.Output[str] | None = None
    scim_secret: pulumi.Output[str] | None = None

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
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, import_=args.import_id),
        )
        self.id = login_method.id
        if args.scim.enabled:
            # `scim_config.secret` would be `Output.secret` (a static method), not the field, so
            # the computed fields are read through apply.
            # The SDK makes all of `scim_config` secret for the sake of its secret field; the
            # endpoint is a URL the dashboard shows to anyone, so the `scimEndpoint` output is plain.
            self.scim_endpoint = pulumi.Output.unsecret(
                login_method.scim_config.apply(lambda c: _computed_scim_field(c, "scim_base_url"))
            )
            returned = login_method.scim_config.apply(lambda c: c.secret if c else None)
            override = pulumi.Output.from_input(args.scim_secret_override)
            self.scim_secret = pulumi.Output.secret(
                pulumi.Output.all(override, returned).apply(
                    lambda both: usable_scim_secret(both[0] if both[0] is not None else both[1])
                )
            )
        self.register_outputs({"id": self.id})


def _computed_scim_field(scim_config: Any, field: str) -> str:
    value = getattr(scim_config, field, None) if scim_config else None
    if not value:
        raise ValueError(f"Cloudflare returned no SCIM {field} for the login method; is SCIM enabled on it?")
    return str(value)


def usable_scim_secret(value: str | None) -> str:
    """The SCIM secret, if it can be a real token; never an empty or redacted one.

    Cloudflare returns the secret once, when SCIM is first enabled; every later read returns it
    redacted with asterisks. An imported login method has no secret in state, or a redacted one.
    Writing either into Entra would break provisioning, so the deployment stops here instead.
    """
    if value is None or not value.strip() or REDACTED in value:
        state = "no SCIM secret" if not value or not value.strip() else "only a redacted SCIM secret"
        raise ValueError(
            f"Cloudflare returned {state} for the login method, and the stack config has no scimSecret; "
            "nothing was written to Entra. Recover: Zero Trust dashboard > Settings > Authentication > "
            "the login method > Regenerate Secret, then `pulumi config set --secret scimSecret <secret> "
            "--stack <stack>`, `make up STACK=<stack>`, `make verify STACK=<stack> ARGS=--repair` "
            "(docs/operations.md, 'Recover the SCIM secret')"
        )
    return value
