"""Composition root: settings -> components -> exported outputs. Nothing else lives here."""

import pulumi
import pulumi_azuread as azuread

from components import rotation
from components.access_groups import AccessGroups, AccessGroupsArgs
from components.groups import object_ids_by_name, resolve_groups
from components.identity_provider import (
    IdentityProvider,
    IdentityProviderArgs,
    callback_url,
    lookup_team_domain,
    team_domain,
)
from components.login_app import LoginApp, LoginAppArgs
from components.scim import ScimProvisioning, ScimProvisioningArgs
from components.settings import load_settings, stack_config

settings = load_settings(stack_config(pulumi.get_project()), pulumi.get_stack())
for warning in settings.warnings:
    pulumi.log.warn(warning)

window = rotation.current_window(rotation.utcnow(), settings.secret_rotation_days, settings.secret_grace_days)
tenant_id = azuread.get_client_config_output().tenant_id
domain = (
    pulumi.Output.from_input(team_domain(settings.team_name))
    if settings.team_name
    else lookup_team_domain(settings.cloudflare_account_id)
)
redirect_uri = domain.apply(callback_url)
group_ids = resolve_groups(settings.referenced_groups())

login_app = LoginApp(
    "login",
    LoginAppArgs(
        display_name=settings.login_app_name,
        redirect_uri=redirect_uri,
        support_groups=settings.support_groups,
        assignment_required=settings.assignment_required,
        rotation=window,
        sign_in_groups={ref.slug: group_ids[ref] for ref in settings.sign_in_groups},
        protect=settings.protect,
    ),
)

identity_provider = IdentityProvider(
    "identity-provider",
    IdentityProviderArgs(
        account_id=settings.cloudflare_account_id,
        display_name=settings.identity_provider_name,
        client_id=login_app.client_id,
        client_secret=login_app.client_secret,
        tenant_id=tenant_id,
        support_groups=settings.support_groups,
        pkce_enabled=settings.pkce_enabled,
        conditional_access_enabled=settings.conditional_access_enabled,
        prompt=settings.prompt,
        email_claim_name=settings.email_claim_name,
        scim=settings.scim,
        protect=settings.protect,
    ),
)

if settings.scim.enabled:
    scim_endpoint, scim_secret = identity_provider.scim_credentials()
    scim = ScimProvisioning(
        "scim",
        ScimProvisioningArgs(
            display_name=settings.scim.app_name,
            scim_endpoint=scim_endpoint,
            scim_secret=scim_secret,
            groups={ref.slug: group_ids[ref] for ref in settings.scim.groups},
            protect=settings.protect,
        ),
    )
    pulumi.export("scimEndpoint", scim_endpoint)
    pulumi.export("scimAppObjectId", scim.app_object_id)
    pulumi.export("scimServicePrincipalObjectId", scim.service_principal_object_id)
    pulumi.export("scimProvisioningJobId", scim.job_id)

if settings.access_groups:
    access_groups = AccessGroups(
        "access-groups",
        AccessGroupsArgs(
            account_id=settings.cloudflare_account_id,
            identity_provider_id=identity_provider.id,
            groups={name: group_ids[ref] for name, ref in settings.access_groups.items()},
        ),
    )
    pulumi.export("accessGroupIds", access_groups.ids)

pulumi.export("tenantId", tenant_id)
pulumi.export("loginAppClientId", login_app.client_id)
pulumi.export("loginAppObjectId", login_app.object_id)
pulumi.export("identityProviderId", identity_provider.id)
pulumi.export("teamDomain", domain)
pulumi.export("redirectUri", redirect_uri)
pulumi.export("clientSecretExpiresAt", login_app.secret_expires_at)
pulumi.export("clientSecretRotatesFrom", rotation.rfc3339(window.ends_at))
pulumi.export("azureGroupObjectIds", object_ids_by_name(group_ids))
