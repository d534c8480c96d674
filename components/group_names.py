"""How a user names an Entra group, and the stable slug its resources are named after.

The naming rule, the same in every list (`signInGroups`, `scim.groups`, `accessGroups`):
a value in the dashed GUID shape 8-4-4-4-12 (letters and digits, optionally in braces) is an
object ID and must then be hexadecimal; 32 hexadecimal digits without dashes (optionally in
braces) are an object ID too; anything else is a display name, looked up at deploy time by
`components.groups`. Object IDs are compared and exported in lowercase, so case variants are one
group. No Pulumi here: the configuration (config/) applies this rule without loading a provider.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

_DASHED_GUID_SHAPE = re.compile(r"^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


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
