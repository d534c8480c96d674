"""Composition root: settings -> components -> exported outputs. Nothing else lives here."""

from pathlib import Path

import pulumi
import pulumi_azuread as azuread

from components import adoption, rotation
from components.access_groups import AccessGroups, AccessGroupsArgs
from components.constants import callback_url, team_domain
from components.groups import object_ids_by_name, resolve_groups
from components.identity_provider import IdentityProvider, IdentityProviderArgs, ScimOptions, lookup_team_domain
from components.login_app import LoginApp, LoginAppArgs
from components.scim import ScimProvisioning, ScimProvisioningArgs
from config.stack_config import stack_settings

# Pulumi runs the program in the project folder, where stacks/ lives.
settings = stack_settings(pulumi.get_project(), pulumi.get_stack(), Path.cwd())
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
    adoption.LOGIN,
    LoginAppArgs(
        display_name=settings.login_app_name,
        redirect_uri=redirect_uri,
        support_groups=settings.support_groups,
        assignment_required=settings.assignment_required,
        rotation=window,
        sign_in_groups={ref.slug: group_ids[ref] for ref in settings.sign_in_groups},
        protect=settings.protect,
        adopt=settings.adopt,
    ),
)

identity_provider = IdentityProvider(
    adoption.IDENTITY_PROVIDER,
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
        scim=ScimOptions(
            enabled=settings.scim.enabled,
            user_deprovision=settings.scim.user_deprovision,
            seat_deprovision=settings.scim.seat_deprovision,
            identity_update_behavior=settings.scim.identity_update_behavior,
        ),
        scim_secret_override=pulumi.Config().get_secret("scimSecret"),
        protect=settings.protect,
        import_id=settings.adopt.get(f"{adoption.IDENTITY_PROVIDER}-login-method"),
    ),
)

if identity_provider.scim_endpoint is not None and identity_provider.scim_secret is not None:
    scim = ScimProvisioning(
        adoption.SCIM,
        ScimProvisioningArgs(
            display_name=settings.scim.app_name,
            scim_endpoint=identity_provider.scim_endpoint,
            scim_secret=identity_provider.scim_secret,
            groups={ref.slug: group_ids[ref] for ref in settings.scim.groups},
            sync_all=settings.scim.scope == "all",
            notification_email=settings.scim.notification_email,
            deletion_threshold=settings.scim.deletion_threshold,
            protect=settings.protect,
            adopt=settings.adopt,
            user_attributes=settings.scim.user_attributes,
        ),
    )
    pulumi.export("scimEndpoint", identity_provider.scim_endpoint)
    pulumi.export("scimAppObjectId", scim.app_object_id)
    pulumi.export("scimServicePrincipalObjectId", scim.service_principal_object_id)
    pulumi.export("scimProvisioningJobId", scim.job_id)

if settings.access_groups:
    access_groups = AccessGroups(
        adoption.ACCESS_GROUPS,
        AccessGroupsArgs(
            account_id=settings.cloudflare_account_id,
            identity_provider_id=identity_provider.id,
            groups={name: group_ids[ref] for name, ref in settings.access_groups.items()},
            adopt=settings.adopt,
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
pulumi.export("clientSecretKeyId", login_app.client_secret_key_id)
pulumi.export("azureGroupObjectIds", object_ids_by_name(group_ids))
