"""SCIM provisioning from Entra to Cloudflare (the guide's "Synchronize users and groups").

Creates, as children of one `ScimProvisioning` component:
- `<name>-app`: a separate enterprise app from Entra's non-gallery template (Entra cannot
  provision from the login app);
- `<name>-assignment-<group>`: each provisioning group, assigned with the app's "User" role
  (with scope "sync only assigned users and groups", what is provisioned; with "sync all", they
  no longer limit it);
- `<name>-secret`: the provisioning credentials, Cloudflare's SCIM endpoint and secret taken
  straight from the identity provider's outputs, and the portal's Provisioning > Settings: the
  scope (`SyncAll`), the failure e-mail and the deletion guard (`SyncNotificationSettings`);
- `<name>-job`: the provisioning job from the `scim` template, enabled, which starts provisioning;
- `<name>-attribute-mappings`: only when mappings are declared, the job's User attribute mappings
  (components/scim_schema.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azuread as azuread

from components.constants import (
    NON_GALLERY_TEMPLATE_ID,
    NON_GALLERY_USER_APP_ROLE_ID,
    SCIM_BASE_ADDRESS_KEY,
    SCIM_JOB_TEMPLATE_ID,
    SCIM_NOTIFICATION_SETTINGS_KEY,
    SCIM_SECRET_TOKEN_KEY,
    SCIM_SYNC_ALL_KEY,
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
    # Scope "sync all users and groups" instead of "sync only assigned users and groups".
    sync_all: bool = False
    # Where Entra e-mails provisioning failures and quarantines; None sends no e-mail.
    notification_email: str | None = None
    # Accidental deletions prevention: the number of deletions that stops a cycle; None is off.
    deletion_threshold: int | None = None
    protect: bool = False
    # Logical name -> import ID of objects made by hand (`adopt` block). The existing job is
    # imported, not recreated, so nobody is provisioned twice; its credentials are rewritten.
    adopt: Mapping[str, str] = field(default_factory=dict)
    # SCIM target attribute -> Entra source; empty leaves the job's mappings to Microsoft.
    user_attributes: Mapping[str, str] = field(default_factory=dict)


def notification_settings(notification_email: str | None, deletion_threshold: int | None) -> str:
    """The `SyncNotificationSettings` credential: JSON text, as Graph takes it.

    Field names only from Microsoft's documentation:
    - `Enabled`, `DeleteThresholdEnabled`: Graph v1.0 "Add synchronization secrets", whose example
      value is `{"Enabled":false,"DeleteThresholdEnabled":false}` (what this returns with neither set);
    - `Recipients`, `DeleteThresholdValue`: Entra docs, "How to programmatically configure cloud
      sync using MS Graph API", section "Accidental deletes" (learn.microsoft.com/entra/identity/
      hybrid/cloud-sync/how-to-inbound-synch-ms-graph): `Enabled` turns on the e-mail sent when the
      job is quarantined, `Recipients` is its address, and with `DeleteThresholdValue` N a cycle
      may delete at most N - 1 objects.
    """
    settings: dict[str, object] = {"Enabled": notification_email is not None}
    if notification_email is not None:
        settings["Recipients"] = notification_email
    settings["DeleteThresholdEnabled"] = deletion_threshold is not None
    if deletion_threshold is not None:
        settings["DeleteThresholdValue"] = deletion_threshold
    return json.dumps(settings, separators=(",", ":"))


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
                # Always written: Graph's PUT replaces every credential ("add all the values in the
                # body of the PUT request ... to preserve the other values", Entra cloud sync docs),
                # so leaving them out would reset them unseen. Secrets like the token they travel
                # with; the e-mail address is personal data.
                azuread.SynchronizationSecretCredentialArgs(
                    key=SCIM_SYNC_ALL_KEY, value=pulumi.Output.secret("true" if args.sync_all else "false")
                ),
                azuread.SynchronizationSecretCredentialArgs(
                    key=SCIM_NOTIFICATION_SETTINGS_KEY,
                    value=pulumi.Output.secret(notification_settings(args.notification_email, args.deletion_threshold)),
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
