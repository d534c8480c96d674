"""Render, for every committed stack file, a plain-words statement of what that environment grants.

    venv/bin/python scripts/grant_manifest.py          # (re)write manifests/<stack>.md
    venv/bin/python scripts/grant_manifest.py --check  # exit 1, listing stale manifests

Offline: reads the stack files only (stacks/Pulumi.<stack>.yaml or .yml), validates each with
config.settings (placeholders allowed and shown as they stand) and takes every external ID from
components.constants. A stack file that cannot be rendered stops both modes with exit 2, after every
such file is listed, each with its problems; nothing is written then. One fact per line, so a
widened grant shows as a one-line diff in review. Nothing is derived from the current time, so a
manifest only changes when its stack file or the code does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python scripts/grant_manifest.py`, the script's own folder is on sys.path, not the root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.constants import (  # noqa: E402
    ADVISED_SECRET_LIFETIME_DAYS,
    EMAIL_OPTIONAL_CLAIM,
    GRAPH_DELEGATED_SCOPES,
    MAX_SECRET_LIFETIME_DAYS,
    MICROSOFT_GRAPH_APP_ID,
    NON_GALLERY_TEMPLATE_ID,
    PRODUCTION_SECRET_LIFETIME_DAYS,
    callback_url,
    team_domain,
)
from components.group_names import GroupRef  # noqa: E402
from config.settings import Settings, SettingsError, load_settings, split_namespaces  # noqa: E402
from config.stack_files import StackFileError, find_stack_files, read_stack_config  # noqa: E402
from ops.permissions import (  # noqa: E402
    APPLICATION_READ,
    CLOUDFLARE_ACCESS_READ,
    CLOUDFLARE_ACCESS_WRITE,
    DIRECTORY_READ,
    GROUP_READ,
    MEMBERSHIP_READ,
    SYNCHRONIZATION_READ,
    SYNCHRONIZATION_READWRITE,
)

MANIFESTS_DIR = "manifests"

DEFAULT_PROMPT = "Entra's default"
DEFAULT_EMAIL_CLAIM = "Cloudflare's default (email)"
IDENTITY_UPDATE_MEANINGS = {
    "automatic": "Cloudflare updates the user's identity and groups at once",
    "reauth": "Cloudflare ends the user's sessions, so the user signs in again with the new groups",
    "no_action": "nothing changes in Cloudflare until the user next signs in",
}


# The two CI identities (docs/ci.md, "Setting up CI"): the deployer, and the read-only identity
# that previews pull requests. Graph application permissions, each with what needs it.
# Deployer: README.md, "Prerequisites" (a service principal). The same identity runs `make verify`
# after each deployment, whose reads its write permissions already cover (ops/permissions.py,
# also_accepted).
DEPLOYER_GRAPH_PERMISSIONS = {
    "Application.ReadWrite.All": "create and update both app registrations and the client secret; make verify's "
    "reads of the apps, their service principals and group assignments",
    "DelegatedPermissionGrant.ReadWrite.All": "the tenant-wide consent for the login app's scopes; "
    "make verify's read of that consent",
    "AppRoleAssignment.ReadWrite.All": "assign the groups to the login and SCIM apps",
    SYNCHRONIZATION_READWRITE.name: "the SCIM provisioning job, its credentials and its attribute mappings; "
    "make verify's job checks, Test Connection and the canary's provision on demand",
    GROUP_READ.name: "resolve groups named by display name",
}
# The canary reads what none of those covers: another user's memberOf (and the user lookup,
# which Directory.Read.All covers too).
DEPLOYER_CANARY_GRAPH_PERMISSIONS = {
    MEMBERSHIP_READ.name: "only while the repository variable ENTRA_CF_CANARY_USERS names a canary user: "
    "look the canary up and read their direct group memberships "
    '(make verify ARGS="--canary <user>" after a deployment)',
}
# A preview without --refresh reads nothing the providers manage; the program's lookups call Graph.
# Least privileged roles from the azuread data source docs ("API Permissions"):
# azuread_service_principal Application.Read.All, azuread_groups Group.Read.All,
# azuread_client_config none. The names come from ops/permissions.py, the one table of them.
PREVIEW_GRAPH_PERMISSIONS = {
    APPLICATION_READ.name: "look up Microsoft Graph's service principal and its scope IDs",
    GROUP_READ.name: "resolve groups named by display name",
}
# An adopt block makes the preview read each adopted object (an import reads it to diff it).
PREVIEW_ADOPT_GRAPH_PERMISSIONS = {
    DIRECTORY_READ.name: "read an adopted consent grant",
    SYNCHRONIZATION_READ.name: "read an adopted provisioning job",
}
# The attribute mappings resource (components/scim_schema.py) reads the live job schema in every
# preview's diff, so that a mapping edited in the portal shows up.
PREVIEW_MAPPINGS_GRAPH_PERMISSIONS = {
    SYNCHRONIZATION_READ.name: "read the provisioning job's schema, so the preview shows attribute mappings "
    "edited outside the stack (while this stack sets scim.userAttributes)",
}
CLOUDFLARE_WRITE_TOKEN = CLOUDFLARE_ACCESS_WRITE
CLOUDFLARE_READ_TOKEN = CLOUDFLARE_ACCESS_READ.name


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def group(ref: GroupRef) -> str:
    if ref.object_id:
        return f"Entra group with object ID {ref.object_id}"
    return f'Entra group "{ref.display_name}" (by display name, resolved in Entra at deploy time)'


def render(settings: Settings, source: str) -> str:
    """The manifest for one stack, as Markdown."""
    lines = [
        f"# What the `{settings.stack}` stack grants",
        "",
        f"<!-- Generated by `make manifests` (scripts/grant_manifest.py) from {source}. Do not edit by hand. -->",
        "",
        "Who can sign in to Cloudflare Zero Trust through Entra ID, what the apps may read, and what Entra",
        "provisions to Cloudflare, as declared by this environment's stack file.",
        "",
        *_environment(settings),
        *_apps(settings),
        *_graph_permissions(),
        *_sign_in(settings),
        *_scim(settings),
        *_access_groups(settings),
        *_client_secret(settings),
        *_protection(settings),
        *_ci_identities(settings),
        *_warnings(settings),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _environment(settings: Settings) -> list[str]:
    # Who deploys it, and after whose approval, is the CI section's.
    if settings.production:
        production = (
            "yes; every preview and deployment runs the policy pack with its strict config (policy/prod-config.json)"
        )
    else:
        production = "no; every preview and deployment runs the policy pack with its default settings"
    return [
        "## Environment",
        "",
        f"- Production stack (production): {production}",
        "",
    ]


def _apps(settings: Settings) -> list[str]:
    if settings.team_name:
        redirect = f"{callback_url(team_domain(settings.team_name))} (its only one)"
    else:
        redirect = (
            f"{callback_url(team_domain('<team>'))} (its only one), where <team> is read from the Cloudflare "
            "account's Zero Trust organization at deploy time (teamName is not set)"
        )
    scim_app = (
        f'"{settings.scim.app_name}", an enterprise app from the non-gallery template {NON_GALLERY_TEMPLATE_ID}; '
        "no redirect URI: it signs nobody in, it only provisions"
        if settings.scim.enabled
        else "none (SCIM is off)"
    )
    return [
        "## Apps",
        "",
        f'- Entra login app: "{settings.login_app_name}", single-tenant (only this tenant\'s accounts), '
        "no implicit grant",
        f"- Login app redirect URI: {redirect}",
        f"- Entra SCIM app: {scim_app}",
        f'- Cloudflare login method: "{settings.identity_provider_name}" (type azureAD) in Cloudflare account '
        f"{settings.cloudflare_account_id}",
        "",
    ]


def _graph_permissions() -> list[str]:
    return [
        "## Microsoft Graph permissions of the login app",
        "",
        f"Delegated permissions of Microsoft Graph ({MICROSOFT_GRAPH_APP_ID}) with tenant-wide admin consent:",
        "Cloudflare Access may use them on behalf of any user who signs in, without asking the user.",
        "The login app holds no application permission.",
        "",
        *(
            f"- `{name}` ({scope_id}): delegated, admin consent for all users"
            for name, scope_id in GRAPH_DELEGATED_SCOPES.items()
        ),
        "",
    ]


def _sign_in(settings: Settings) -> list[str]:
    if settings.assignment_required:
        who = "only members of the groups below, and Global Administrators (assignment required)"
    else:
        who = "every user of the tenant (assignment not required; the groups below are assigned but do not limit it)"
    return [
        "## Sign-in",
        "",
        f"- Who can sign in: {who}",
        *(f"- Allowed to sign in: {group(ref)}" for ref in settings.sign_in_groups),
        f"- Group memberships sent to Cloudflare (supportGroups): {yes_no(settings.support_groups)}",
        f"- PKCE on every sign-in (pkceEnabled): {yes_no(settings.pkce_enabled)}",
        "- Entra Conditional Access honoured (conditionalAccessEnabled): "
        + yes_no(settings.conditional_access_enabled),
        f"- Sign-in prompt (prompt): {settings.prompt or DEFAULT_PROMPT}",
        f"- Email claim (emailClaimName): {settings.email_claim_name or DEFAULT_EMAIL_CLAIM}",
        f"- ID tokens carry the optional claim `{EMAIL_OPTIONAL_CLAIM}`: each member's email address, which Entra "
        "sends only when the login app asks for it",
        "",
    ]


def _scim(settings: Settings) -> list[str]:
    scim = settings.scim
    if not scim.enabled:
        return [
            "## SCIM provisioning",
            "",
            "- SCIM provisioning: off; nothing is provisioned, and Cloudflare learns of a user at first sign-in",
            "",
        ]
    if scim.scope == "all":
        scope = [
            "- SCIM provisioning: on; Entra creates, updates and deactivates every user and group of the tenant "
            "in Cloudflare, assigned or not (scim.scope: all)",
            *(f"- Assigned to the SCIM app, which does not narrow scope all: {group(ref)}" for ref in scim.groups),
        ]
    else:
        scope = [
            "- SCIM provisioning: on; Entra creates, updates and deactivates these groups and their members in "
            "Cloudflare (scim.scope: assigned)",
            *(f"- Provisioned to Cloudflare: {group(ref)}" for ref in scim.groups),
        ]
    guard = (
        f"a cycle that would delete or disable {scim.deletion_threshold} accounts or more stops until an admin "
        "allows the deletions"
        if scim.deletion_threshold is not None
        else "off"
    )
    return [
        "## SCIM provisioning",
        "",
        *scope,
        "- When Entra deprovisions a user, Cloudflare revokes the user's sessions (scim.userDeprovision): "
        f"{yes_no(scim.user_deprovision)}",
        "- ... and removes the user's Zero Trust seat (scim.seatDeprovision): " + yes_no(scim.seat_deprovision),
        f"- When a user's groups change (scim.identityUpdateBehavior: {scim.identity_update_behavior}): "
        f"{IDENTITY_UPDATE_MEANINGS[scim.identity_update_behavior]}",
        "- E-mail when provisioning fails or is quarantined (scim.notificationEmail): "
        + (scim.notification_email or "none"),
        f"- Accidental deletions prevention (scim.deletionThreshold): {guard}",
        *_user_attributes(scim.user_attributes),
        "",
    ]


def _user_attributes(mappings: Mapping[str, str]) -> list[str]:
    """What Entra sends of each user, where the stack manages it."""
    if not mappings:
        return ["- User attributes sent (scim.userAttributes): Microsoft's default mappings, not managed by the stack"]
    return [
        "- User attributes sent (scim.userAttributes), SCIM attribute <- Entra source, kept so by every deployment:",
        *(f"  - `{target}` <- `{source}`" for target, source in mappings.items()),
    ]


def _access_groups(settings: Settings) -> list[str]:
    entries = [
        f'- Access group "{name}": members of {group(ref)}' for name, ref in sorted(settings.access_groups.items())
    ]
    return [
        "## Cloudflare Access groups",
        "",
        *(entries or ["- None declared by this stack"]),
        "",
    ]


def _client_secret(settings: Settings) -> list[str]:
    lifetime = settings.secret_rotation_days + settings.secret_grace_days
    if settings.production:
        limits = (
            f"the limit of a production stack: {PRODUCTION_SECRET_LIFETIME_DAYS}, the strict policy's; "
            f"Microsoft's: {MAX_SECRET_LIFETIME_DAYS}"
        )
    else:
        limits = f"Microsoft's limit: {MAX_SECRET_LIFETIME_DAYS}; its advice: under {ADVISED_SECRET_LIFETIME_DAYS}"
    return [
        "## Client secret of the login app",
        "",
        "- Held by the Cloudflare login method; one secret per rotation window",
        f"- Rotation: a new secret on the first deployment in each new {settings.secret_rotation_days}-day window "
        "(secretRotationDays)",
        f"- Grace: each secret stays valid {settings.secret_grace_days} days after its window ends (secretGraceDays)",
        f"- Longest life of one secret: {lifetime} days ({limits})",
        "- Dates depend on when the stack is deployed: see the stack output clientSecretExpiresAt",
        "",
    ]


def _protection(settings: Settings) -> list[str]:
    if settings.protect:
        state = (
            "yes; the login app, its enterprise app, the SCIM app and the Cloudflare login method cannot be "
            "deleted (by destroy or replacement) until protection is lifted"
        )
    else:
        state = "no; `pulumi destroy` deletes the apps and the Cloudflare login method"
    return [
        "## Protection",
        "",
        f"- Protected from deletion (protect): {state}",
        "- The client secret is never protected: rotation replaces it",
    ]


def _ci_identities(settings: Settings) -> list[str]:
    if settings.production:
        deployed = "from main, in the `production` environment, after one of its required reviewers approves the run"
        previewed = (
            "in the `production-preview` environment, after one of its required reviewers approves the run; "
            "only then does the run get the production passphrase"
        )
    else:
        deployed = "from main, in the `main-branch` environment, without approval"
        previewed = (
            "in every pull request from a branch of this repository, without approval, "
            "with the non-production passphrase"
        )
    preview_permissions = dict(PREVIEW_GRAPH_PERMISSIONS)
    if settings.adopt:
        preview_permissions |= {
            name: f"{use} (while this stack's adopt block is set)"
            for name, use in PREVIEW_ADOPT_GRAPH_PERMISSIONS.items()
        }
    if settings.scim.user_attributes:
        for name, use in PREVIEW_MAPPINGS_GRAPH_PERMISSIONS.items():
            preview_permissions[name] = f"{preview_permissions[name]}; {use}" if name in preview_permissions else use
    return [
        "",
        "## Who deploys and who previews this stack (CI)",
        "",
        f"- Deployed by the deployer identity (ARM_CLIENT_ID), {deployed}",
        *(
            f"- Deployer, Microsoft Graph application permission: `{name}`: {use}"
            for name, use in (DEPLOYER_GRAPH_PERMISSIONS | DEPLOYER_CANARY_GRAPH_PERMISSIONS).items()
        ),
        f"- Deployer, Cloudflare token: {CLOUDFLARE_WRITE_TOKEN}",
        f"- Previewed in pull requests by the read-only preview identity (ENTRA_CF_PREVIEW_CLIENT_ID), {previewed}",
        *(
            f"- Preview identity, Microsoft Graph application permission: `{name}`: {use}"
            for name, use in preview_permissions.items()
        ),
        f"- Preview identity, Cloudflare token: {CLOUDFLARE_READ_TOKEN}",
    ]


def _warnings(settings: Settings) -> list[str]:
    if not settings.warnings:
        return []
    return ["", "## Warnings", "", *(f"- {warning}" for warning in settings.warnings)]


def render_stack(stack: str, path: Path, root: Path) -> str:
    """The manifest of a committed stack file; its placeholders are shown as they stand.

    Raises StackFileError naming the file. Read from `path` rather than through
    settings_from_stack_file, so that one bad stack file does not hide the others' problems.
    """
    source = path.relative_to(root).as_posix()
    config = read_stack_config(path)
    try:
        own, others = split_namespaces(config)
        settings = load_settings(own, stack, others, allow_placeholders=True)
    except SettingsError as error:
        raise StackFileError(f"{source}: {str(error).replace(chr(10), chr(10) + '    ')}") from None
    return render(settings, source)


class BadStackFilesError(Exception):
    """Every stack file no manifest can be rendered from; each problem names its file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def expected_manifests(root: Path) -> dict[Path, str]:
    """Manifest path -> its fresh content, for every committed stack file; raises BadStackFilesError."""
    stacks, problems = find_stack_files(root)
    manifests: dict[Path, str] = {}
    for stack, path in sorted(stacks.items()):
        try:
            manifests[root / MANIFESTS_DIR / f"{stack}.md"] = render_stack(stack, path, root)
        except StackFileError as error:
            problems.append(str(error))
    if problems:
        raise BadStackFilesError(problems)
    return manifests


def stale_manifests(root: Path) -> list[str]:
    """Every manifest that is missing, out of date, or left over from a removed stack file."""
    expected = expected_manifests(root)
    problems = [
        f"{path.relative_to(root).as_posix()}: {'missing' if not path.exists() else 'out of date'}"
        for path, text in expected.items()
        if not path.exists() or path.read_text() != text
    ]
    manifests_dir = root / MANIFESTS_DIR
    if manifests_dir.is_dir():
        problems += [
            f"{path.relative_to(root).as_posix()}: no stack file for it"
            for path in sorted(manifests_dir.glob("*.md"))
            if path not in expected
        ]
    return problems


def write_manifests(root: Path) -> list[Path]:
    expected = expected_manifests(root)
    (root / MANIFESTS_DIR).mkdir(exist_ok=True)
    for path, text in expected.items():
        path.write_text(text)
    for leftover in (root / MANIFESTS_DIR).glob("*.md"):
        if leftover not in expected:
            leftover.unlink()
    return list(expected)


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale manifests; exit 1 if any")
    args = parser.parse_args(argv)
    try:
        return _run(args.check, root)
    except BadStackFilesError as error:
        print("Cannot render the grant manifests, fix each stack file listed:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2


def _run(check: bool, root: Path) -> int:
    if check:
        problems = stale_manifests(root)
        if problems:
            print("Stale grant manifests (run `make manifests` and commit the result):", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        print("Grant manifests are up to date.")
        return 0
    for path in write_manifests(root):
        print(f"wrote {path.relative_to(root).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
