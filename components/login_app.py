"""The Entra login app: what Cloudflare signs users in with (guide steps 1 and 2).

Creates, as children of one `LoginApp` component:
- `<name>-app`: the app registration, single-tenant, whose only redirect URI is the Cloudflare
  Access callback, requesting the seven delegated Microsoft Graph scopes, with group claims when
  groups are supported;
- `<name>-service-principal`: its enterprise app, with assignment required as configured;
- `<name>-consent-grant`: tenant-wide admin consent to the seven scopes, in one grant;
- `<name>-assignment-<group>`: one per sign-in group;
- `<name>-client-secret`: the client secret, with an end date fixed by its rotation window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azuread as azuread

from components.constants import (
    DEFAULT_ACCESS_APP_ROLE_ID,
    DELEGATED_PERMISSION_TYPE,
    EMAIL_OPTIONAL_CLAIM,
    GRAPH_DELEGATED_SCOPES,
    MICROSOFT_GRAPH_APP_ID,
    SIGN_IN_AUDIENCE,
)
from components.groups import assign_groups
from components.rotation import RotationWindow, rfc3339


@dataclass
class LoginAppArgs:
    display_name: str
    redirect_uri: pulumi.Input[str]
    support_groups: bool
    assignment_required: bool
    rotation: RotationWindow
    # Group slug (stable logical name part) -> object ID.
    sign_in_groups: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    protect: bool = False
    # Logical name -> import ID of objects made by hand (`adopt` block): taken over, not created.
    adopt: Mapping[str, str] = field(default_factory=dict)


def verified_scope_names(graph_scope_ids: Mapping[str, str]) -> list[str]:
    """The seven scope names, after checking each constant ID against Graph's own table.

    A mismatch means GRAPH_DELEGATED_SCOPES is wrong (or this is not Microsoft Graph); failing
    here stops the deployment before consent is granted to the wrong permissions.
    """
    wrong = [
        f"{name}: constant {scope_id}, Graph says {graph_scope_ids.get(name, 'no such scope')}"
        for name, scope_id in GRAPH_DELEGATED_SCOPES.items()
        if graph_scope_ids.get(name) != scope_id
    ]
    if wrong:
        raise ValueError("Microsoft Graph scope IDs do not match GRAPH_DELEGATED_SCOPES: " + "; ".join(wrong))
    return list(GRAPH_DELEGATED_SCOPES)


class LoginApp(pulumi.ComponentResource):
    client_id: pulumi.Output[str]
    object_id: pulumi.Output[str]
    service_principal_object_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    client_secret_key_id: pulumi.Output[str]
    secret_expires_at: str

    def __init__(self, name: str, args: LoginAppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("entracf:sso:LoginApp", name, None, opts)

        def long_lived(child: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, protect=args.protect, import_=args.adopt.get(child))

        graph = azuread.get_service_principal_output(
            client_id=MICROSOFT_GRAPH_APP_ID, opts=pulumi.InvokeOutputOptions(parent=self)
        )

        app = azuread.Application(
            f"{name}-app",
            display_name=args.display_name,
            sign_in_audience=SIGN_IN_AUDIENCE,
            web=azuread.ApplicationWebArgs(
                redirect_uris=[args.redirect_uri],
                # Cloudflare uses the authorization-code flow; implicit grant only widens attack surface.
                implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                    access_token_issuance_enabled=False,
                    id_token_issuance_enabled=False,
                ),
            ),
            required_resource_accesses=[
                azuread.ApplicationRequiredResourceAccessArgs(
                    resource_app_id=MICROSOFT_GRAPH_APP_ID,
                    resource_accesses=[
                        azuread.ApplicationRequiredResourceAccessResourceAccessArgs(
                            id=scope_id, type=DELEGATED_PERMISSION_TYPE
                        )
                        for scope_id in GRAPH_DELEGATED_SCOPES.values()
                    ],
                )
            ],
            group_membership_claims=["SecurityGroup"] if args.support_groups else None,
            # Without it, Entra puts no email into a member's ID token and Cloudflare falls back to
            # the UPN: where UPNs differ from email addresses, the identity a person signs in with
            # is not the one SCIM provisioned (keyed by `mail`), and its SCIM groups do not attach.
            optional_claims=azuread.ApplicationOptionalClaimsArgs(
                id_tokens=[azuread.ApplicationOptionalClaimsIdTokenArgs(name=EMAIL_OPTIONAL_CLAIM)]
            ),
            opts=long_lived(f"{name}-app"),
        )

        service_principal = azuread.ServicePrincipal(
            f"{name}-service-principal",
            client_id=app.client_id,
            app_role_assignment_required=args.assignment_required,
            # Lists it under "Enterprise applications", where the guide's admins look for it.
            feature_tags=[azuread.ServicePrincipalFeatureTagArgs(enterprise=True)],
            opts=long_lived(f"{name}-service-principal"),
        )

        # One grant for all scopes: one grant per scope fails with 409 (azuread issue 690).
        # No user_object_id: the consent is tenant-wide ("Grant admin consent").
        azuread.ServicePrincipalDelegatedPermissionGrant(
            f"{name}-consent-grant",
            service_principal_object_id=service_principal.object_id,
            resource_service_principal_object_id=graph.object_id,
            claim_values=graph.oauth2_permission_scope_ids.apply(verified_scope_names),
            opts=pulumi.ResourceOptions(parent=self, import_=args.adopt.get(f"{name}-consent-grant")),
        )

        assign_groups(
            name, args.sign_in_groups, DEFAULT_ACCESS_APP_ROLE_ID, service_principal.object_id, self, args.adopt
        )

        # Never protected and never delete_before_replace: rotation replaces it, and Pulumi then
        # creates the new secret, updates Cloudflare, and deletes the old one last.
        secret = azuread.ApplicationPassword(
            f"{name}-client-secret",
            application_id=app.id,
            display_name=f"Cloudflare Access, rotation window from {args.rotation.rotation_key}",
            end_date=rfc3339(args.rotation.secret_expires_at),
            rotate_when_changed={"rotationWindowStart": args.rotation.rotation_key},
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.client_id = app.client_id
        self.object_id = app.object_id
        self.service_principal_object_id = service_principal.object_id
        self.client_secret = pulumi.Output.secret(secret.value)
        # Plain: a key ID identifies the secret (for `make verify`) but opens nothing.
        self.client_secret_key_id = secret.key_id
        self.secret_expires_at = rfc3339(args.rotation.secret_expires_at)
        self.register_outputs(
            {
                "client_id": self.client_id,
                "object_id": self.object_id,
                "service_principal_object_id": self.service_principal_object_id,
                "secret_expires_at": self.secret_expires_at,
                "client_secret_key_id": self.client_secret_key_id,
            }
        )
