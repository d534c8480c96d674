"""Entra groups the stack refers to: their resolution to an object ID (once per distinct group)
and their assignment to enterprise apps. How a user names a group is `components.group_names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter

import pulumi
import pulumi_azuread as azuread

from components.group_names import GroupRef

# Display names resolved by one `getGroups` invoke. The provider looks up the names of one invoke
# one after another (one Graph call each), while Pulumi runs invokes concurrently. So up to 25
# names are looked up in series, and a long list in parallel batches, with a twenty-fifth of the
# invokes of one per name. Not measured against a real tenant.
LOOKUP_BATCH = 25


def resolve_groups(refs: Iterable[GroupRef]) -> dict[GroupRef, pulumi.Output[str]]:
    """Object ID of each distinct group; display names are looked up `LOOKUP_BATCH` to an invoke."""
    distinct = list(dict.fromkeys(refs))
    names = [ref for ref in distinct if ref.display_name is not None]
    found: dict[GroupRef, pulumi.Output[str]] = {}
    for start in range(0, len(names), LOOKUP_BATCH):
        batch = names[start : start + LOOKUP_BATCH]
        # In the order asked; the provider fails the lookup, naming the group, when no group or
        # more than one has a name (`ignore_missing` stays off, so none is skipped).
        object_ids = azuread.get_groups_output(display_names=[ref.text for ref in batch]).object_ids
        for index, ref in enumerate(batch):
            found[ref] = object_ids.apply(itemgetter(index))
    return {ref: found[ref] if ref in found else pulumi.Output.from_input(ref.text) for ref in distinct}


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
    adopt: Mapping[str, str] | None = None,
) -> list[azuread.AppRoleAssignment]:
    """Assign each group (slug -> object ID) to an enterprise app as `<name>-assignment-<slug>`."""
    adopt = adopt or {}
    return [
        azuread.AppRoleAssignment(
            f"{name}-assignment-{group_slug}",
            app_role_id=app_role_id,
            principal_object_id=group_object_id,
            resource_object_id=service_principal_object_id,
            opts=pulumi.ResourceOptions(parent=parent, import_=adopt.get(f"{name}-assignment-{group_slug}")),
        )
        for group_slug, group_object_id in groups.items()
    ]
