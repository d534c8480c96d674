"""The permissions the ops commands need: one table that the 403 messages, docs/verify.md and
docs/adopt.md share.

Each entry names the least-privileged permission Microsoft or Cloudflare documents for the calls
that use it. Graph names are application permissions (for a service principal); a person signed
in with the Azure CLI needs a directory role that grants the same reads, such as Cloud Application
Administrator. Tests keep each command's doc listing every entry it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Permission:
    service: str  # "Microsoft Graph" or "Cloudflare"
    name: str
    used_for: str

    def __str__(self) -> str:
        return self.name


# Source: Graph v1.0 API pages ("Permissions", least privileged) for each call named below.
APPLICATION_READ: Final = Permission(
    "Microsoft Graph",
    "Application.Read.All",
    "read the login app, its service principal and the app role assignments (sign-in and SCIM groups)",
)
# Listing oauth2PermissionGrants documents Directory.Read.All as least privileged (not
# DelegatedPermissionGrant.Read.All), so that is what a 403 on the consent check names. It is also
# the least privileged application permission "List a user's direct memberships" documents for
# another user's memberOf.
DIRECTORY_READ: Final = Permission(
    "Microsoft Graph",
    "Directory.Read.All",
    "read the tenant-wide consent grant (oauth2PermissionGrants) and, with --canary, the canary's direct group "
    "memberships (memberOf)",
)
SYNCHRONIZATION_READ: Final = Permission(
    "Microsoft Graph",
    "Synchronization.Read.All",
    "read the provisioning job's status (quarantine, last run, steady state) and its attribute mappings",
)
SYNCHRONIZATION_READWRITE: Final = Permission(
    "Microsoft Graph",
    "Synchronization.ReadWrite.All",
    "Test Connection (validateCredentials); with --repair, restart a quarantined job; with --canary, "
    "provision the canary on demand (provisionOnDemand)",
)
# Source: Cloudflare API reference, "Accepted Permissions" of the identity provider, SCIM view and
# Access group endpoints.
CLOUDFLARE_ACCESS_READ: Final = Permission(
    "Cloudflare",
    "Access: Organizations, Identity Providers, and Groups Read",
    "read the login method, what it received over SCIM, and the Access groups",
)

# Source: Graph v1.0 "Get user" and "List users", least privileged application permission.
USER_READ: Final = Permission(
    "Microsoft Graph", "User.Read.All", "look up the --canary user by object ID, userPrincipalName or mail"
)

# Source: Graph v1.0 "List groups", least privileged application permission. Only `make adopt`
# resolves groups named by display name; the deployment itself looks them up through the provider.
GROUP_READ: Final = Permission(
    "Microsoft Graph", "Group.Read.All", "resolve the stack's groups named by display name (make adopt)"
)

VERIFY: Final[tuple[Permission, ...]] = (
    APPLICATION_READ,
    DIRECTORY_READ,
    SYNCHRONIZATION_READ,
    SYNCHRONIZATION_READWRITE,
    CLOUDFLARE_ACCESS_READ,
)
# What the calls of `make verify ARGS="--canary <user>"` need (ops/canary.py); all but
# User.Read.All are in VERIFY too.
CANARY: Final[tuple[Permission, ...]] = (
    USER_READ,
    DIRECTORY_READ,
    APPLICATION_READ,
    SYNCHRONIZATION_READ,
    SYNCHRONIZATION_READWRITE,
    CLOUDFLARE_ACCESS_READ,
)
ADOPT: Final[tuple[Permission, ...]] = (
    APPLICATION_READ,
    DIRECTORY_READ,
    SYNCHRONIZATION_READ,
    GROUP_READ,
    CLOUDFLARE_ACCESS_READ,
)
