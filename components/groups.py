"""Entra groups the stack refers to: resolved to object IDs once per distinct group, and
assigned to enterprise apps.

A group named by object ID is used as given; a group named by display name is looked up at
deploy time (the lookup fails, naming the group, when no group or more than one group has that
name). `assign_groups` declares the app role assignments for the component that calls it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pulumi
import pulumi_azuread as azuread

from components.settings import GroupRef


def resolve_groups(refs: Iterable[GroupRef]) -> dict[GroupRef, pulumi.Output[str]]:
    """Object ID of each distinct group; one directory lookup per distinct display name."""
    resolved: dict[GroupRef, pulumi.Output[str]] = {}
    for ref in dict.fromkeys(refs):
        if ref.object_id is not None:
            resolved[ref] = pulumi.Output.from_input(ref.object_id)
        else:
            resolved[ref] = azuread.get_group_output(display_name=ref.display_name).object_id
    return resolved


def object_ids_by_name(resolved: Mapping[GroupRef, pulumi.Output[str]]) -> pulumi.Output[dict[str, str]]:
    """Group as the user wrote it (display name, or object ID) -> object ID, for Gateway policies."""
    return output_map({ref.text: object_id for ref, object_id in resolved.items()})


def output_map(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    """One Output of a dict; `Output.all()` of nothing would give a list, not `{}`."""
    if not values:
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**values)


def assign_groups(
    name: str,
    groups: Mapping[str, pulumi.Input[str]],
    app_role_id: str,
    service_principal_object_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[azuread.AppRoleAssignment]:
    """Assign each group (slug -> object ID) to an enterprise app as `<name>-assignment-<slug>`."""
    return [
        azuread.AppRoleAssignment(
            f"{name}-assignment-{slug}",
            app_role_id=app_role_id,
            principal_object_id=group_object_id,
            resource_object_id=service_principal_object_id,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for slug, group_object_id in groups.items()
    ]
