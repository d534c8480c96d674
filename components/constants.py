"""External identifiers the stack depends on, each in one named constant with its source.

Getting one of these wrong breaks sign-in for a whole company, so nothing else in the code
spells them out.
"""

from typing import Final

# Microsoft Graph's application (client) ID, the same in every tenant.
# Source: Microsoft Graph permissions reference, "All permissions and IDs".
MICROSOFT_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"

# The seven delegated Graph permissions Cloudflare's Azure AD guide asks for, name -> scope ID.
# Source: Microsoft Graph permissions reference. Checked against Graph's own service principal
# at deploy time (see components/login_app.py), so a wrong ID fails the deployment loudly.
# Directory.Read.All and GroupMember.Read.All let Cloudflare read group memberships from Graph
# when a token carries more than 200 groups (the "overage" case).
GRAPH_DELEGATED_SCOPES: Final[dict[str, str]] = {
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
}

# Entra's kind for a delegated permission in requiredResourceAccess ("Role" is an application
# permission, which this stack never requests).
DELEGATED_PERMISSION_TYPE: Final = "Scope"

# Only accounts of this tenant may sign in.
SIGN_IN_AUDIENCE: Final = "AzureADMyOrg"

# The app role every application has when it defines none: "default access".
# Source: Graph appRoleAssignment docs (appRoleId 00000000-0000-0000-0000-000000000000).
DEFAULT_ACCESS_APP_ROLE_ID: Final = "00000000-0000-0000-0000-000000000000"

# Entra's "Integrate any other application you don't find in the gallery (Non-gallery)" template,
# global cloud. Source: Graph applicationTemplate docs. Other clouds use other IDs:
# US Government 4602d0b4-76bb-404b-bca9-2652e1a39c6d, China 5a532e38-1581-4918-9658-008dc27c1d68;
# this stack targets the global cloud only.
NON_GALLERY_TEMPLATE_ID: Final = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"

# The "User" app role of an app made from the non-gallery template. Its `value` is empty, so the
# provider's `app_role_ids` map does not list it. Confidence medium: Graph docs example response
# for instantiating the template; check it in your tenant with
# `az ad sp show --id <scim sp> --query appRoles`.
NON_GALLERY_USER_APP_ROLE_ID: Final = "18d14569-c3bd-439b-9a66-3a2aee01d14f"

# Provisioning job template for a custom SCIM endpoint (`customappsso` is the legacy job).
# Source: Graph synchronization docs / Entra SCIM docs.
SCIM_JOB_TEMPLATE_ID: Final = "scim"

# Keys of the provisioning secret (Graph synchronizationSecret enum). SyncAll is the portal's
# Settings > Scope ("true": sync all users and groups; "false": only assigned ones);
# SyncNotificationSettings is JSON text holding the failure e-mail and the deletion guard.
# Source: Graph v1.0 "Add synchronization secrets" (PUT /servicePrincipals/{id}/synchronization/secrets)
# and synchronizationSecretKeyStringValuePair ("Supported key value pairs").
SCIM_BASE_ADDRESS_KEY: Final = "BaseAddress"
SCIM_SECRET_TOKEN_KEY: Final = "SecretToken"
SCIM_SYNC_ALL_KEY: Final = "SyncAll"
SCIM_NOTIFICATION_SETTINGS_KEY: Final = "SyncNotificationSettings"

# The optional claim that makes Entra put a member's `mail` into ID tokens as `email` (Entra
# sends it unasked only for guests); Cloudflare reads `email` when no other claim is configured.
# Source: Entra "Optional claims reference"; Cloudflare's Entra ID guide ("If your organization's
# UPNs do not match users' email addresses, you must add a custom claim for email").
EMAIL_OPTIONAL_CLAIM: Final = "email"

# Cloudflare's identity provider type for Entra ID. Source: Cloudflare API schema.
CLOUDFLARE_AZURE_AD_TYPE: Final = "azureAD"

# Every Zero Trust team lives under this domain; the OIDC callback path is fixed by Cloudflare.
CLOUDFLARE_ACCESS_DOMAIN: Final = "cloudflareaccess.com"
CLOUDFLARE_CALLBACK_PATH: Final = "/cdn-cgi/access/callback"


# Here rather than in components/identity_provider.py: the grant manifest renders the redirect URI
# without loading the Cloudflare provider, whose import takes seconds.
def team_domain(team_name: str) -> str:
    return f"{team_name}.{CLOUDFLARE_ACCESS_DOMAIN}"


def callback_url(domain: str) -> str:
    """The one redirect URI Cloudflare Access uses for OIDC sign-in."""
    return f"https://{domain}{CLOUDFLARE_CALLBACK_PATH}"


# Microsoft's hard limit on a client secret's lifetime (24 months) and its advice (under 12).
# Source: Entra docs, "Add a client secret".
MAX_SECRET_LIFETIME_DAYS: Final = 730
ADVISED_SECRET_LIFETIME_DAYS: Final = 365
# The strict policy config's limit (policy/prod-config.json, client-secret-end-date
# maxLifetimeDays; the pack cannot import this module, so tests/test_settings.py ties the two). A
# production stack's rotation plus grace must stay within it, or the policy refuses the secret
# made at the start of each window.
PRODUCTION_SECRET_LIFETIME_DAYS: Final = 365

# Longest display name Entra accepts for an application (and a group). Confidence medium: Graph
# v1.0 application resource, displayName "Maximum length is 256 characters".
ENTRA_DISPLAY_NAME_MAX_LENGTH: Final = 256

# Cloudflare's API schema documents no maximum for a login method's or an Access group's name;
# the stack caps them at Entra's limit so a runaway value (a pasted paragraph) fails validation
# instead of at the API. Not a documented Cloudflare limit.
CLOUDFLARE_NAME_MAX_LENGTH: Final = 256
