"""The security rules of the stack, one validator per rule, importable without starting a pack.

`policy/__main__.py` wraps `POLICIES` in a PolicyPack; tests call the validators directly.

The pack is its own Pulumi program (its own venv, and `pulumi policy publish` uploads only this
directory), so it cannot import `components/`. The few external IDs it checks are copied here,
and tests/test_policy.py fails if a copy drifts from components/constants.py.

Property names are the engine's camelCase input names (`requiredResourceAccesses`,
`redirectUris`, `endDate`, ...). During `pulumi preview`, a value that depends on another
resource's output is unknown; reading it raises the SDK's UnknownValueError, which the SDK turns
into an advisory "can't run during preview" note. `pulumi up` checks it with the real value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# Copies of components/constants.py (kept equal by tests/test_policy.py).
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DELEGATED_SCOPES = {
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
}
DELEGATED_PERMISSION_TYPE = "Scope"
NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
CLOUDFLARE_AZURE_AD_TYPE = "azureAD"
CLOUDFLARE_ACCESS_DOMAIN = "cloudflareaccess.com"
CLOUDFLARE_CALLBACK_PATH = "/cdn-cgi/access/callback"
MAX_SECRET_LIFETIME_DAYS = 730
EMAIL_OPTIONAL_CLAIM = "email"
# A copy of components/attribute_mappings.py's REQUIRED_USER_ATTRIBUTES.
REQUIRED_USER_ATTRIBUTES = {'emails[type eq "work"].value': "mail"}

# Resource type tokens as the engine reports them.
APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
APPLICATION_FROM_TEMPLATE = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SYNCHRONIZATION_JOB = "azuread:index/synchronizationJob:SynchronizationJob"
IDENTITY_PROVIDER = "cloudflare:index/zeroTrustAccessIdentityProvider:ZeroTrustAccessIdentityProvider"
# Every Python dynamic resource has this type; the attribute mappings are the one with `mappings`.
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"

# Where each message sends the reader.
GRAPH_PERMISSIONS_DOCS = "https://learn.microsoft.com/en-us/graph/permissions-reference"
REDIRECT_URI_DOCS = "https://learn.microsoft.com/en-us/entra/identity-platform/reply-url"
CLOUDFLARE_ENTRA_DOCS = "https://developers.cloudflare.com/cloudflare-one/identity/idp-integration/entra-id/"
CLIENT_SECRET_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/how-to-add-credentials?tabs=client-secret"
)
AZUREAD_PASSWORD_DOCS = "https://github.com/hashicorp/terraform-provider-azuread/issues/1424"
OPTIONAL_CLAIMS_DOCS = "https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference"
CLOUDFLARE_PKCE_DOCS = "https://developers.cloudflare.com/cloudflare-one/identity/idp-integration/generic-oidc/"
SCIM_DOCS = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"
DELETE_BEFORE_REPLACE_DOCS = "https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/"
PROTECT_DOCS = "https://www.pulumi.com/docs/iac/concepts/options/protect/"

CALLBACK_URI = re.compile(
    r"^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\."
    + re.escape(CLOUDFLARE_ACCESS_DOMAIN + CLOUDFLARE_CALLBACK_PATH)
    + "$"
)

# Policy config keys (per policy, in the `--policy-pack-config` JSON file).
MAX_LIFETIME_DAYS_KEY = "maxLifetimeDays"
REQUIRE_PROTECT_KEY = "requireProtect"


def _items(value: Any) -> Sequence[Any]:
    """A list property, with an absent or null one read as empty."""
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _field(props: Mapping[str, Any] | None, key: str) -> Any:
    return props.get(key) if isinstance(props, Mapping) else None


def validate_login_app_scopes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 1: exactly the seven delegated Graph scopes, and no application permission at all."""
    if args.resource_type != APPLICATION:
        return
    names_by_id = {scope_id: name for name, scope_id in GRAPH_DELEGATED_SCOPES.items()}
    requested: set[str] = set()
    for resource in _items(args.props.get("requiredResourceAccesses")):
        app_id = _field(resource, "resourceAppId")
        for access in _items(_field(resource, "resourceAccesses")):
            access_id, kind = _field(access, "id"), _field(access, "type")
            if kind != DELEGATED_PERMISSION_TYPE:
                report_violation(
                    f"The login app requests an application permission (type {kind!r}, id {access_id}) of "
                    f"resource app {app_id}: an application permission lets the app act with no user signed "
                    f"in, across the whole tenant. Cloudflare Access needs delegated scopes only. "
                    f"See {GRAPH_PERMISSIONS_DOCS}",
                    None,
                )
            elif app_id != MICROSOFT_GRAPH_APP_ID:
                report_violation(
                    f"The login app requests delegated permission {access_id} of resource app {app_id}; "
                    f"it may only request Microsoft Graph ({MICROSOFT_GRAPH_APP_ID}) scopes. "
                    f"See {GRAPH_PERMISSIONS_DOCS}",
                    None,
                )
            else:
                requested.add(str(access_id).lower())
    extra = sorted(requested - set(names_by_id))
    if extra:
        report_violation(
            f"The login app requests Microsoft Graph delegated scope(s) beyond the seven Cloudflare Access "
            f"needs: {', '.join(extra)}. Every extra scope is consented for the whole tenant. "
            f"See {GRAPH_PERMISSIONS_DOCS}",
            None,
        )
    missing = [name for scope_id, name in names_by_id.items() if scope_id not in requested]
    if missing:
        report_violation(
            f"The login app does not request the Microsoft Graph delegated scope(s) {', '.join(missing)}; "
            f"sign-in or group lookups break without them. See {GRAPH_PERMISSIONS_DOCS}",
            None,
        )


def validate_login_app_redirect_uri(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 2: the only redirect URI is https://<team>.cloudflareaccess.com/cdn-cgi/access/callback."""
    if args.resource_type != APPLICATION:
        return
    expected = f"https://<team>.{CLOUDFLARE_ACCESS_DOMAIN}{CLOUDFLARE_CALLBACK_PATH}"
    web_uris = list(_items(_field(args.props.get("web"), "redirectUris")))
    if len(web_uris) != 1 or not CALLBACK_URI.match(str(web_uris[0])):
        report_violation(
            f"The login app's web redirect URIs are {web_uris}; expected exactly one, {expected}. Entra sends "
            f"authorization codes to every listed URI, so any other one can receive sign-ins. "
            f"See {REDIRECT_URI_DOCS} and {CLOUDFLARE_ENTRA_DOCS}",
            None,
        )
    for platform in ("publicClient", "singlePageApplication"):
        others = list(_items(_field(args.props.get(platform), "redirectUris")))
        if others:
            report_violation(
                f"The login app has {platform} redirect URIs {others}; Cloudflare Access signs in as a web "
                f"app only, so the app must have no other platform. See {REDIRECT_URI_DOCS}",
                None,
            )


def validate_client_secret_end_date(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 3: an explicit endDate, in the future, within the configured (and Microsoft's) maximum."""
    if args.resource_type != APPLICATION_PASSWORD:
        return
    configured = args.get_config().get(MAX_LIFETIME_DAYS_KEY, MAX_SECRET_LIFETIME_DAYS)
    # Policy config arrives as JSON numbers (floats); Microsoft's limit caps any configuration.
    max_days = min(int(configured), MAX_SECRET_LIFETIME_DAYS)
    if args.props.get("endDateRelative"):
        report_violation(
            "The client secret sets endDateRelative, which the azuread provider (3.x) ignores for passwords: "
            "the secret would live Graph's default of two years. Set an explicit endDate (RFC 3339). "
            f"See {AZUREAD_PASSWORD_DOCS} and {CLIENT_SECRET_DOCS}",
            None,
        )
    end_date = args.props.get("endDate")
    if not end_date:
        report_violation(
            "The client secret has no explicit endDate, so it would live Graph's default of two years. "
            f"Set endDate (RFC 3339) at most {max_days} days ahead. See {CLIENT_SECRET_DOCS}",
            None,
        )
        return
    try:
        expires_at = datetime.fromisoformat(str(end_date))
    except ValueError:
        report_violation(
            f"The client secret's endDate {end_date!r} is not an RFC 3339 timestamp. See {CLIENT_SECRET_DOCS}",
            None,
        )
        return
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if expires_at <= now:
        report_violation(
            f"The client secret's endDate {end_date} is already past: Cloudflare could not sign anybody in. "
            f"See {CLIENT_SECRET_DOCS}",
            None,
        )
    elif expires_at - now > timedelta(days=max_days):
        report_violation(
            f"The client secret's endDate {end_date} is more than {max_days} days from now (the configured "
            f"{MAX_LIFETIME_DAYS_KEY}; Microsoft allows at most {MAX_SECRET_LIFETIME_DAYS} and advises under "
            f"365). Shorten secretRotationDays + secretGraceDays. See {CLIENT_SECRET_DOCS}",
            None,
        )


def validate_identity_provider_pkce(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 4: the Entra login method in Cloudflare uses PKCE."""
    if args.resource_type != IDENTITY_PROVIDER or args.props.get("type") != CLOUDFLARE_AZURE_AD_TYPE:
        return
    if _field(args.props.get("config"), "pkceEnabled") is not True:
        report_violation(
            "The Cloudflare login method for Entra ID does not use PKCE (config.pkceEnabled is not true): an "
            "intercepted authorization code could be redeemed. Set pkceEnabled: true in the stack config. "
            f"See {CLOUDFLARE_PKCE_DOCS}",
            None,
        )


def validate_scim_work_email(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 5: managed SCIM attribute mappings send the work email from Entra's mail."""
    if args.resource_type != DYNAMIC_RESOURCE:
        return
    known, mappings = _known(args.props, "mappings")
    if not known or not isinstance(mappings, Mapping):
        return
    for target, required in REQUIRED_USER_ATTRIBUTES.items():
        if mappings.get(target) != required:
            report_violation(
                f"The SCIM attribute mappings send {target} from {mappings.get(target)!r}, not {required}: "
                "Cloudflare matches a provisioned user to the identity that signs in by this email, so the user's "
                "SCIM groups would attach to another identity. Map it from mail (scim.userAttributes). "
                f"See {CLOUDFLARE_ENTRA_DOCS}",
                None,
            )


def _known(props: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(True, value) when the value is known; (False, None) while preview cannot know it yet."""
    try:
        return True, props.get(key)
    except UnknownValueError:
        return False, None


def _known_values(resources: Sequence[PolicyResource], key: str) -> set[Any]:
    return {value for known, value in (_known(r.props, key) for r in resources) if known and value}


def _is_service_principal(sp_id: str, service_principal: PolicyResource) -> bool:
    """Whether `/servicePrincipals/<oid>` (or a bare object ID) names this ServicePrincipal resource."""
    object_id = sp_id.rsplit("/", 1)[-1].lower()
    for key in ("id", "objectId"):
        known, value = _known(service_principal.props, key)
        if known and isinstance(value, str) and value and value.rsplit("/", 1)[-1].lower() == object_id:
            return True
    return False


def validate_scim_job_placement(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 5: the provisioning job runs on a non-gallery template app, never on the login app.

    Decided from the job's property dependency on `servicePrincipalId` (known even in preview) and,
    when known, from the ID itself.
    """
    non_gallery_apps = [
        r
        for r in args.resources
        if r.resource_type == APPLICATION_FROM_TEMPLATE and r.props.get("templateId") == NON_GALLERY_TEMPLATE_ID
    ]
    login_service_principals = [r for r in args.resources if r.resource_type == SERVICE_PRINCIPAL]
    non_gallery_sp_ids = _known_values(non_gallery_apps, "servicePrincipalId")
    for job in (r for r in args.resources if r.resource_type == SYNCHRONIZATION_JOB):
        sources = job.property_dependencies.get("servicePrincipalId", [])
        known, sp_id = _known(job.props, "servicePrincipalId")
        sp_id = sp_id if known and isinstance(sp_id, str) and sp_id else None
        on_login_app = any(source in login_service_principals for source in sources) or (
            sp_id is not None and any(_is_service_principal(sp_id, sp) for sp in login_service_principals)
        )
        on_non_gallery_app = any(source in non_gallery_apps for source in sources) or sp_id in non_gallery_sp_ids
        if on_login_app:
            report_violation(
                f"The provisioning job {job.name} runs on the login app's service principal. Provisioning "
                f"must run on a separate enterprise app made from the non-gallery template "
                f"({NON_GALLERY_TEMPLATE_ID}); Entra cannot provision from the sign-in app. See {SCIM_DOCS}",
                job.urn,
            )
        elif not on_non_gallery_app and (sp_id is not None or sources):
            report_violation(
                f"The provisioning job {job.name} does not run on an app made from the non-gallery template "
                f"({NON_GALLERY_TEMPLATE_ID}): its servicePrincipalId must be the servicePrincipalId of an "
                f"ApplicationFromTemplate with that templateId. See {SCIM_DOCS}",
                job.urn,
            )


SECRET_PATH_TYPES = (APPLICATION, SERVICE_PRINCIPAL, APPLICATION_PASSWORD, IDENTITY_PROVIDER)
PROTECTED_TYPES = (APPLICATION, SERVICE_PRINCIPAL, APPLICATION_FROM_TEMPLATE, IDENTITY_PROVIDER)


def validate_no_delete_before_replace(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 6: rotation stays zero-downtime: nothing on the secret's path is deleted before replacement."""
    if args.resource_type not in SECRET_PATH_TYPES or not args.opts.delete_before_replace:
        return
    report_violation(
        f"{args.name} sets deleteBeforeReplace. On the client secret's path (login app, its service principal, "
        "the secret, the Cloudflare login method) a replacement would then delete the working credential or app "
        "before the new one exists, and sign-in fails until the update finishes. Pulumi's default "
        f"(create first, delete last) keeps rotation without downtime. See {DELETE_BEFORE_REPLACE_DOCS}",
        None,
    )


def validate_protected(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 7: with requireProtect (prod), the apps and the login method are protected from deletion."""
    if args.resource_type not in PROTECTED_TYPES or not args.get_config().get(REQUIRE_PROTECT_KEY, False):
        return
    if not args.opts.protect:
        report_violation(
            f"{args.name} is not protected, but this stack requires it ({REQUIRE_PROTECT_KEY}: true): deleting it "
            "breaks sign-in or provisioning for everybody, and recreating it changes its IDs. Set protect: true "
            f"in the stack config. See {PROTECT_DOCS}",
            None,
        )


def validate_login_app_email_claim(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Rule 8: ID tokens carry the email optional claim, so Cloudflare never falls back to the UPN."""
    if args.resource_type != APPLICATION:
        return
    id_tokens = _field(args.props.get("optionalClaims"), "idTokens")
    if not any(_field(claim, "name") == EMAIL_OPTIONAL_CLAIM for claim in _items(id_tokens)):
        report_violation(
            f"The login app does not request the optional claim {EMAIL_OPTIONAL_CLAIM} in ID tokens. Entra then "
            "puts no email into a member's token and Cloudflare takes the UPN instead: where UPNs differ from "
            "email addresses, people sign in as an identity SCIM never provisioned, without their SCIM groups. "
            f"See {OPTIONAL_CLAIMS_DOCS} and {CLOUDFLARE_ENTRA_DOCS}",
            None,
        )


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="login-app-graph-scopes",
        description="The login app requests exactly the seven delegated Microsoft Graph scopes and no "
        "application permission.",
        validate=validate_login_app_scopes,
        url=GRAPH_PERMISSIONS_DOCS,
    ),
    ResourceValidationPolicy(
        name="login-app-redirect-uri",
        description="The login app's only redirect URI is the Cloudflare Access callback over https.",
        validate=validate_login_app_redirect_uri,
        url=REDIRECT_URI_DOCS,
    ),
    ResourceValidationPolicy(
        name="client-secret-end-date",
        description="The client secret has an explicit endDate within the maximum lifetime.",
        validate=validate_client_secret_end_date,
        config_schema=PolicyConfigSchema(
            properties={
                MAX_LIFETIME_DAYS_KEY: {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_SECRET_LIFETIME_DAYS,
                    "default": MAX_SECRET_LIFETIME_DAYS,
                    "description": "Longest allowed time from now to the secret's endDate, in days.",
                }
            }
        ),
        url=CLIENT_SECRET_DOCS,
    ),
    ResourceValidationPolicy(
        name="identity-provider-pkce",
        description="The Cloudflare login method for Entra ID uses PKCE.",
        validate=validate_identity_provider_pkce,
        # Advisory by default (dev); prod makes it mandatory in policy/prod-config.json.
        enforcement_level=EnforcementLevel.ADVISORY,
        url=CLOUDFLARE_PKCE_DOCS,
    ),
    ResourceValidationPolicy(
        name="scim-work-email-from-mail",
        description="Managed SCIM attribute mappings send the work email from Entra's mail.",
        validate=validate_scim_work_email,
        url=CLOUDFLARE_ENTRA_DOCS,
    ),
    StackValidationPolicy(
        name="scim-job-on-non-gallery-app",
        description="The provisioning job runs on the non-gallery SCIM app, never on the login app.",
        validate=validate_scim_job_placement,
        url=SCIM_DOCS,
    ),
    ResourceValidationPolicy(
        name="no-delete-before-replace-on-secret-path",
        description="Nothing on the client secret's path uses deleteBeforeReplace.",
        validate=validate_no_delete_before_replace,
        url=DELETE_BEFORE_REPLACE_DOCS,
    ),
    ResourceValidationPolicy(
        name="identity-objects-protected",
        description="With requireProtect, the apps and the Cloudflare login method are protected.",
        validate=validate_protected,
        config_schema=PolicyConfigSchema(
            properties={
                REQUIRE_PROTECT_KEY: {
                    "type": "boolean",
                    "default": False,
                    "description": "Require protect on the apps and the login method (set in prod).",
                }
            }
        ),
        url=PROTECT_DOCS,
    ),
    ResourceValidationPolicy(
        name="login-app-email-claim",
        description="The login app requests the email optional claim in ID tokens.",
        validate=validate_login_app_email_claim,
        url=OPTIONAL_CLAIMS_DOCS,
    ),
]
