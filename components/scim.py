"""SCIM provisioning from Entra to Cloudflare (the guide's "Synchronize users and groups").

Creates, as children of one `ScimProvisioning` component:
- `<name>-app`: a separate enterprise app from Entra's non-gallery template (Entra cannot
  provision from the login app);
- `<name>-assignment-<group>`: each provisioning group, assigned with the app's "User" role
  (scope "sync only assigned users and groups");
- `<name>-secret`: the provisioning credentials, Cloudflare's SCIM endpoint and secret taken
  straight from the identity provider's outputs;
- `<name>-job`: the provisioning job from the `scim` template, enabled, which starts provisioning;
- `<name>-attribute-mappings`: only when mappings are declared, the job's User attribute mappings
  (components/scim_schema.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azuread as azuread

from components.constants import (
    NON_GALLERY_TEMPLATE_ID,
    NON_GALLERY_USER_APP_ROLE_ID,
    SCIM_BASE_ADDRESS_KEY,
    SCIM_JOB_TEMPLATE_ID,
    SCIM_SECRET_TOKEN_KEY,
)
from components.groups import assign_groups
from components.scim_schema import AttributeMappings


@dataclass
class ScimProvisioningArgs:
    display_name: str
    scim_endpoint: pulumi.Input[str]
    scim_secret: pulumi.Input[str]
    # Group slug (stable logical name part) -> object ID.
    groups: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    protect: bool = False
    # Logical name -> import ID of objects made by hand (`adopt` block). The existing job is
    # imported, not recreated, so nobody is provisioned twice; its credentials are rewritten.
    adopt: Mapping[str, str] = field(default_factory=dict)
    # SCIM target attribute -> Entra source; empty leaves the job's mappings to Microsoft.
    user_attributes: Mapping[str, str] = field(default_factory=dict)


class ScimProvisioning(pulumi.ComponentResource):
    app_object_id: pulumi.Output[str]
    service_principal_object_id: pulumi.Output[str]
    job_id: pulumi.Output[str]

    def __init__(self, name: str, args: ScimProvisioningArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("entracf:scim:ScimProvisioning", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        scim_app = azuread.ApplicationFromTemplate(
            f"{name}-app",
            display_name=args.display_name,
            template_id=NON_GALLERY_TEMPLATE_ID,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, import_=args.adopt.get(f"{name}-app")),
        )

        assignments = assign_groups(
            name, args.groups, NON_GALLERY_USER_APP_ROLE_ID, scim_app.service_principal_object_id, self, args.adopt
        )

        secret = azuread.SynchronizationSecret(
            f"{name}-secret",
            service_principal_id=scim_app.service_principal_id,
            credentials=[
                azuread.SynchronizationSecretCredentialArgs(key=SCIM_BASE_ADDRESS_KEY, value=args.scim_endpoint),
                azuread.SynchronizationSecretCredentialArgs(
                    key=SCIM_SECRET_TOKEN_KEY, value=pulumi.Output.secret(args.scim_secret)
                ),
            ],
            opts=child,
        )

        # Starting the job is what starts provisioning: it needs the credentials in place, and
        # the assignments, or its first cycle finds nothing in scope.
        job = azuread.SynchronizationJob(
            f"{name}-job",
            service_principal_id=scim_app.service_principal_id,
            template_id=SCIM_JOB_TEMPLATE_ID,
            enabled=True,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[secret, *assignments], import_=args.adopt.get(f"{name}-job")
            ),
        )

        if args.user_attributes:
            AttributeMappings(
                f"{name}-attribute-mappings",
                job.id,
                args.user_attributes,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[job]),
            )

        self.app_object_id = scim_app.application_object_id
        self.service_principal_object_id = scim_app.service_principal_object_id
        self.job_id = job.id
        self.register_outputs(
            {
                "app_object_id": self.app_object_id,
                "service_principal_object_id": self.service_principal_object_id,
                "job_id": self.job_id,
            }
        )
