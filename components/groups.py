"""Entra groups the stack refers to: how a user names one, its stable slug, its resolution to an
object ID (once per distinct group), and its assignment to enterprise apps.

The naming rule, the same in every list (`signInGroups`, `scim.groups`, `accessGroups`):
a value in the dashed GUID shape 8-4-4-4-12 (letters and digits, optionally in braces) is an
object ID and must then be hexadecimal; 32 hexadecimal digits without dashes (optionally in
braces) are an object ID too; anything else is a display name, looked up
at deploy time (the lookup fails, naming the group, when no group or more than one has that name).
Object IDs are compared and exported in lowercase, so case variants are one group.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter

import pulumi
import pulumi_azuread as azuread

_DASHED_GUID_SHAPE = re.compile(r"^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


# Display names resolved by one `getGroups` invoke. The provider looks up the names of one invoke
# one after another (one Graph call each), while Pulumi runs invokes concurrently. So up to 25
# names are looked up in series, and a long list in parallel batches, with a twenty-fifth of the
# invokes of one per name. Not measured against a real tenant.
LOOKUP_BATCH = 25


class GroupNameError(ValueError):
    """A GUID-shaped group that is not a valid object ID; the message says what is wrong."""


@dataclass(frozen=True, order=True)
class GroupRef:
    """An Entra group as the user named it: by object ID (lowercase, dashed) or by display name."""

    text: str
    is_object_id: bool = False

    @property
    def object_id(self) -> str | None:
        return self.text if self.is_object_id else None

    @property
    def display_name(self) -> str | None:
        return None if self.is_object_id else self.text

    @property
    def slug(self) -> str:
        return slug(self.text)


def parse_group(value: str) -> GroupRef:
    """Apply the naming rule to one stripped, non-empty value; raise GroupNameError for a bad ID."""
    inner = value[1:-1] if value.startswith("{") and value.endswith("}") else value
    if not (_DASHED_GUID_SHAPE.match(inner) or _HEX32.match(inner)):
        return GroupRef(value)
    digits = inner.replace("-", "").lower()
    if not _HEX32.match(digits):
        raise GroupNameError(
            "an object ID of hexadecimal digits 0-9 and a-f (it has the shape of one, so it is read as an "
            "object ID); to name a group by display name, use its exact display name"
        )
    return GroupRef(f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}", True)


def slug(text: str) -> str:
    """Stable, readable part of a resource's logical name derived from a user-given name.

    ASCII names keep the slug they always had (renaming a logical name replaces the resource).
    Characters that do not fold to ASCII letters or digits add a short hash of the whole name,
    so names in any script stay distinct, and stay the same from run to run.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    readable = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if text.isascii():
        return readable or "unnamed"
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).casefold().encode()).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else f"group-{digest}"


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
