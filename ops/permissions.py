"""The permissions the ops commands need: one table that the 403 messages, docs/verify.md and
docs/adopt.md share.

Each entry names the least-privileged permission Microsoft or Cloudflare documents for the calls
that use it, with one judgement: for the synchronization calls Graph marks
Application.ReadWrite.OwnedBy least privileged (and CustomSecAttributeProvisioning.Read.All for
reading a schema), but the first reaches only apps the caller owns and writes, and the second is
meant for custom security attributes, so the Synchronization.* permissions are named. Graph names are application
permissions (for a service principal); a person signed in with the Azure CLI needs a directory
role that grants the same reads, such as Cloud Application Administrator. Tests keep each
command's doc listing every entry it uses.

`also_accepted` records the higher permissions the reference pages of *every* call under an entry
list as accepted too (Graph: "Higher privileged permissions"; Cloudflare: "Accepted
Permissions"). It is how docs/ci.md can say which of the deployer's permissions already cover
`make verify` in CI, and which the canary adds (tests/test_permissions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Permission:
    service: str  # "Microsoft Graph" or "Cloudflare"
    name: str
    used_for: str
    also_accepted: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


# Source: Graph v1.0 "Get application", "List applications", "Get servicePrincipal", "List
# servicePrincipals" and "List appRoleAssignments granted for a service principal"
# (appRoleAssignedTo): application permission Application.Read.All least privileged;
# Application.ReadWrite.All and Directory.Read.All higher on all five (Directory.ReadWrite.All is
# missing from the two lists).
APPLICATION_READ: Final = Permission(
    "Microsoft Graph",
    "Application.Read.All",
    "read the login app, its service principal and the app role assignments (sign-in and SCIM groups)",
    also_accepted=("Application.ReadWrite.All", "Directory.Read.All"),
)
# Source: Graph v1.0 "List oauth2PermissionGrants granted to a service principal": application
# permission Directory.Read.All least privileged (DelegatedPermissionGrant.Read.All is not listed),
# so that is what a 403 on the consent check names; DelegatedPermissionGrant.ReadWrite.All (which
# the deployer holds to grant the consent) and Directory.ReadWrite.All higher.
DIRECTORY_READ: Final = Permission(
    "Microsoft Graph",
    "Directory.Read.All",
    "read the tenant-wide consent grant (oauth2PermissionGrants)",
    also_accepted=("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"),
)
# Source: Graph v1.0 "List a user's direct memberships", permissions for another user's direct
# memberships: application permission Directory.Read.All least privileged, Directory.ReadWrite.All
# higher; GroupMember.Read.All and User.Read.All are listed for delegated access only.
MEMBERSHIP_READ: Final = Permission(
    "Microsoft Graph",
    "Directory.Read.All",
    "with --canary, read the canary's direct group memberships (memberOf)",
    also_accepted=("Directory.ReadWrite.All",),
)
# Source: Graph v1.0 "Get synchronizationJob" and "Get synchronizationSchema", and "List
# synchronization jobs" (its beta page): Synchronization.Read.All and Synchronization.ReadWrite.All
# both accepted for an application.
SYNCHRONIZATION_READ: Final = Permission(
    "Microsoft Graph",
    "Synchronization.Read.All",
    "read the provisioning job's status (quarantine, last run, steady state), its attribute mappings and, with "
    "--canary, its schema",
    also_accepted=("Synchronization.ReadWrite.All",),
)
SYNCHRONIZATION_READWRITE: Final = Permission(
    "Microsoft Graph",
    "Synchronization.ReadWrite.All",
    "Test Connection (validateCredentials); with --repair, restart a quarantined job; with --canary, "
    "provision the canary on demand (provisionOnDemand)",
)
# The token permission that deploys the login method and the Access groups (README.md, Prerequisites).
CLOUDFLARE_ACCESS_WRITE: Final = "Access: Organizations, Identity Providers, and Groups Write"
# Source: Cloudflare API reference, "Accepted Permissions" of the identity provider, SCIM view and
# Access group endpoints: the Read permission or the Write one.
CLOUDFLARE_ACCESS_READ: Final = Permission(
    "Cloudflare",
    "Access: Organizations, Identity Providers, and Groups Read",
    "read the login method, what it received over SCIM, and the Access groups",
    also_accepted=(CLOUDFLARE_ACCESS_WRITE,),
)

# Source: Graph v1.0 "Get user" and "List users": application permission User.Read.All least
# privileged; User.ReadWrite.All, Directory.Read.All and Directory.ReadWrite.All higher.
USER_READ: Final = Permission(
    "Microsoft Graph",
    "User.Read.All",
    "look up the --canary user by object ID, userPrincipalName or mail",
    also_accepted=("User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
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
# User.Read.All are in VERIFY too (by name: memberOf needs Directory.Read.All as the consent check
# does, but DelegatedPermissionGrant.ReadWrite.All does not cover it).
CANARY: Final[tuple[Permission, ...]] = (
    USER_READ,
    MEMBERSHIP_READ,
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
