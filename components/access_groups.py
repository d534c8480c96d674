"""Cloudflare Access groups made of Entra groups (replaces the guide's manual object-ID lookups).

Creates, as children of one `AccessGroups` component, `<name>-<access group>`: a Zero Trust Access
group per configured entry, whose include rule is the Entra group on this stack's login method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from components.group_names import slug
from components.groups import output_map


@dataclass
class AccessGroupsArgs:
    account_id: str
    identity_provider_id: pulumi.Input[str]
    # Access group name -> Entra group object ID.
    groups: Mapping[str, pulumi.Input[str]]
    # Logical name -> import ID of Access groups made by hand (`adopt` block).
    adopt: Mapping[str, str] = field(default_factory=dict)


class AccessGroups(pulumi.ComponentResource):
    ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: AccessGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("entracf:access:AccessGroups", name, None, opts)
        created = {
            access_name: cloudflare.ZeroTrustAccessGroup(
                f"{name}-{slug(access_name)}",
                account_id=args.account_id,
                name=access_name,
                includes=[
                    cloudflare.ZeroTrustAccessGroupIncludeArgs(
                        azure_ad=cloudflare.ZeroTrustAccessGroupIncludeAzureAdArgs(
                            id=object_id,
                            identity_provider_id=args.identity_provider_id,
                        )
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self, import_=args.adopt.get(f"{name}-{slug(access_name)}")),
            )
            for access_name, object_id in args.groups.items()
        }
        self.ids = output_map({access_name: group.id for access_name, group in created.items()})
        self.register_outputs({"ids": self.ids})
