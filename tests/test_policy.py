"""The policy pack's rules (policy/rules.py), each with a compliant and a violating resource.

Validators are called as the pack's engine calls them: props wrapped in the SDK's unknown-checking
proxy, options as PolicyResourceOptions, violations collected through report_violation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness import PROJECT, ProgramRun, minimal_config, reveal, run_program, stack_file_config
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from components import attribute_mappings, constants
from policy import rules

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
TEAM_CALLBACK = "https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback"
SCIM_SP_ID = "/servicePrincipals/5c1d0000-0000-4000-8000-000000005c1d"
LOGIN_SP_OBJECT_ID = "10910000-0000-4000-8000-000000001091"


class Violations(list[tuple[str, str | None]]):
    """A report_violation that records (message, urn)."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self]


def options(protect: bool = False, delete_before_replace: bool | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def resource_args(
    resource_type: str,
    props: dict[str, Any],
    *,
    config: dict[str, Any] | None = None,
    protect: bool = False,
    delete_before_replace: bool | None = None,
) -> ResourceValidationArgs:
    name = resource_type.rsplit(":", 1)[-1].lower()
    return ResourceValidationArgs(
        resource_type=resource_type,
        props=unknown_checking_proxy(props),
        urn=f"urn:pulumi:dev::entra-cloudflare::{resource_type}::{name}",
        name=name,
        opts=options(protect, delete_before_replace),
        provider=None,
        config=config,
    )


def run(validator: Any, args: ResourceValidationArgs | StackValidationArgs) -> Violations:
    violations = Violations()
    validator(args, violations)
    for message in violations.messages:
        assert "https://" in message, f"violation message links no documentation: {message}"
    return violations


def graph_scopes(*extra: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceAppId": constants.MICROSOFT_GRAPH_APP_ID,
        "resourceAccesses": [
            *({"id": scope_id, "type": "Scope"} for scope_id in constants.GRAPH_DELEGATED_SCOPES.values()),
            *extra,
        ],
    }


def login_app(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "displayName": "Cloudflare Access (dev)",
        "requiredResourceAccesses": [graph_scopes()],
        "web": {"redirectUris": [TEAM_CALLBACK]},
        "optionalClaims": {"idTokens": [{"name": "email"}]},
    }
    props.update(overrides)
    return props


def client_secret(days_from_now: float | None, **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"applicationId": "/applications/0000", "displayName": "Cloudflare Access"}
    if days_from_now is not None:
        end = datetime.now(UTC) + timedelta(days=days_from_now)
        props["endDate"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    props.update(overrides)
    return props


def identity_provider(pkce_enabled: bool | None) -> dict[str, Any]:
    config: dict[str, Any] = {"clientId": "app", "supportGroups": True}
    if pkce_enabled is not None:
        config["pkceEnabled"] = pkce_enabled
    return {"name": "Entra ID (dev)", "type": "azureAD", "config": config}


# --- the pack's copies of the external IDs -------------------------------------------------


def test_pack_constants_equal_the_stacks_constants() -> None:
    for name in (
        "MICROSOFT_GRAPH_APP_ID",
        "GRAPH_DELEGATED_SCOPES",
        "DELEGATED_PERMISSION_TYPE",
        "NON_GALLERY_TEMPLATE_ID",
        "CLOUDFLARE_AZURE_AD_TYPE",
        "CLOUDFLARE_ACCESS_DOMAIN",
        "CLOUDFLARE_CALLBACK_PATH",
        "MAX_SECRET_LIFETIME_DAYS",
        "EMAIL_OPTIONAL_CLAIM",
    ):
        assert getattr(rules, name) == getattr(constants, name), f"policy/rules.py {name} differs from constants"


def test_pack_copy_of_the_required_mapping_equals_the_stacks() -> None:
    assert rules.REQUIRED_USER_ATTRIBUTES == attribute_mappings.REQUIRED_USER_ATTRIBUTES


# --- rule 1: scopes --------------------------------------------------------------------------


def test_scopes_compliant_login_app_passes() -> None:
    assert run(rules.validate_login_app_scopes, resource_args(rules.APPLICATION, login_app())) == []


def test_scopes_application_permission_is_rejected_for_any_resource_app() -> None:
    other_api = {
        "resourceAppId": "11111111-2222-4333-8444-555555555555",
        "resourceAccesses": [{"id": "r1", "type": "Role"}],
    }
    graph_role = {"id": "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "type": "Role"}
    args = resource_args(rules.APPLICATION, login_app(requiredResourceAccesses=[graph_scopes(graph_role), other_api]))

    messages = run(rules.validate_login_app_scopes, args).messages

    assert len(messages) == 2
    assert all("application permission" in message for message in messages)
    assert "19dbc75e-c2e2-444c-a770-ec69d8559fc7" in messages[0]
    assert "11111111-2222-4333-8444-555555555555" in messages[1]


def test_scopes_extra_delegated_scope_is_rejected() -> None:
    mail_read = "570282fd-fa5c-430d-a7fd-fc8dc98a9dca"
    args = resource_args(
        rules.APPLICATION, login_app(requiredResourceAccesses=[graph_scopes({"id": mail_read, "type": "Scope"})])
    )

    messages = run(rules.validate_login_app_scopes, args).messages

    assert len(messages) == 1
    assert mail_read in messages[0]
    assert "beyond the seven" in messages[0]


def test_scopes_missing_scope_is_reported_by_name() -> None:
    scopes = graph_scopes()
    scopes["resourceAccesses"] = scopes["resourceAccesses"][:-1]
    args = resource_args(rules.APPLICATION, login_app(requiredResourceAccesses=[scopes]))

    messages = run(rules.validate_login_app_scopes, args).messages

    assert len(messages) == 1
    assert "GroupMember.Read.All" in messages[0]


def test_scopes_delegated_scope_of_another_api_is_rejected() -> None:
    other_api = {
        "resourceAppId": "11111111-2222-4333-8444-555555555555",
        "resourceAccesses": [{"id": "s1", "type": "Scope"}],
    }
    args = resource_args(rules.APPLICATION, login_app(requiredResourceAccesses=[graph_scopes(), other_api]))

    messages = run(rules.validate_login_app_scopes, args).messages

    assert len(messages) == 1
    assert "only request Microsoft Graph" in messages[0]


def test_scopes_rule_ignores_other_resource_types() -> None:
    args = resource_args(rules.APPLICATION_FROM_TEMPLATE, {"templateId": constants.NON_GALLERY_TEMPLATE_ID})
    assert run(rules.validate_login_app_scopes, args) == []


# --- rule 2: redirect URI --------------------------------------------------------------------


def test_redirect_uri_compliant_login_app_passes() -> None:
    assert run(rules.validate_login_app_redirect_uri, resource_args(rules.APPLICATION, login_app())) == []


@pytest.mark.parametrize(
    "uris",
    [
        ["http://acme-test.cloudflareaccess.com/cdn-cgi/access/callback"],
        ["https://acme-test.cloudflareaccess.com.evil.example/cdn-cgi/access/callback"],
        ["https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback/extra"],
        [TEAM_CALLBACK, "https://localhost:8080/callback"],
        [],
    ],
)
def test_redirect_uri_anything_but_the_one_callback_is_rejected(uris: list[str]) -> None:
    args = resource_args(rules.APPLICATION, login_app(web={"redirectUris": uris}))

    messages = run(rules.validate_login_app_redirect_uri, args).messages

    assert len(messages) == 1
    assert "expected exactly one" in messages[0]


def test_redirect_uri_on_another_platform_is_rejected() -> None:
    args = resource_args(rules.APPLICATION, login_app(publicClient={"redirectUris": ["http://localhost"]}))

    messages = run(rules.validate_login_app_redirect_uri, args).messages

    assert len(messages) == 1
    assert "publicClient" in messages[0]


def test_redirect_uri_unknown_in_preview_defers_to_the_sdk() -> None:
    # The SDK turns this into an advisory "can't run during preview" note; `up` checks the value.
    args = resource_args(rules.APPLICATION, login_app(web={"redirectUris": [UNKNOWN_STRING_VALUE]}))
    with pytest.raises(UnknownValueError):
        rules.validate_login_app_redirect_uri(args, Violations())


# --- rule 3: client secret end date -----------------------------------------------------------


def test_secret_end_date_within_the_maximum_passes() -> None:
    assert (
        run(rules.validate_client_secret_end_date, resource_args(rules.APPLICATION_PASSWORD, client_secret(120))) == []
    )


def test_secret_without_end_date_is_rejected() -> None:
    messages = run(
        rules.validate_client_secret_end_date, resource_args(rules.APPLICATION_PASSWORD, client_secret(None))
    ).messages

    assert len(messages) == 1
    assert "no explicit endDate" in messages[0]


def test_secret_with_end_date_relative_is_rejected() -> None:
    args = resource_args(rules.APPLICATION_PASSWORD, client_secret(None, endDateRelative="2160h"))

    messages = run(rules.validate_client_secret_end_date, args).messages

    assert len(messages) == 2
    assert "endDateRelative" in messages[0]
    assert "no explicit endDate" in messages[1]


def test_secret_beyond_microsofts_limit_is_rejected_whatever_the_config() -> None:
    args = resource_args(rules.APPLICATION_PASSWORD, client_secret(800), config={"maxLifetimeDays": 5000})

    messages = run(rules.validate_client_secret_end_date, args).messages

    assert len(messages) == 1
    assert "more than 730 days" in messages[0]


def test_secret_beyond_the_configured_maximum_is_rejected() -> None:
    # Policy config arrives as JSON numbers, i.e. floats.
    args = resource_args(rules.APPLICATION_PASSWORD, client_secret(400), config={"maxLifetimeDays": 365.0})

    messages = run(rules.validate_client_secret_end_date, args).messages

    assert len(messages) == 1
    assert "more than 365 days" in messages[0]


def test_secret_already_expired_is_rejected() -> None:
    messages = run(
        rules.validate_client_secret_end_date, resource_args(rules.APPLICATION_PASSWORD, client_secret(-1))
    ).messages

    assert len(messages) == 1
    assert "already past" in messages[0]


# --- rule 4: PKCE ------------------------------------------------------------------------------


def test_pkce_enabled_passes() -> None:
    args = resource_args(rules.IDENTITY_PROVIDER, identity_provider(pkce_enabled=True))
    assert run(rules.validate_identity_provider_pkce, args) == []


@pytest.mark.parametrize("pkce_enabled", [False, None])
def test_pkce_off_or_unset_is_reported(pkce_enabled: bool | None) -> None:
    args = resource_args(rules.IDENTITY_PROVIDER, identity_provider(pkce_enabled))

    messages = run(rules.validate_identity_provider_pkce, args).messages

    assert len(messages) == 1
    assert "PKCE" in messages[0]


def test_pkce_rule_is_advisory_by_default_and_mandatory_in_prod_config() -> None:
    policy = policies_by_name()["identity-provider-pkce"]
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert prod_config()["identity-provider-pkce"]["enforcementLevel"] == "mandatory"


# --- rule 5: provisioning job placement (stack rule) -------------------------------------------


def stack_resource(
    resource_type: str, name: str, props: dict[str, Any], depends_on: dict[str, list[PolicyResource]] | None = None
) -> PolicyResource:
    return PolicyResource(
        resource_type=resource_type,
        props=unknown_checking_proxy(props),
        urn=f"urn:pulumi:dev::entra-cloudflare::{resource_type}::{name}",
        name=name,
        opts=options(),
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies=depends_on or {},
    )


def scim_stack(job_sp_id: str, job_source: str) -> tuple[StackValidationArgs, PolicyResource]:
    scim_app = stack_resource(
        rules.APPLICATION_FROM_TEMPLATE,
        "scim-app",
        {"templateId": constants.NON_GALLERY_TEMPLATE_ID, "servicePrincipalId": SCIM_SP_ID},
    )
    login_sp = stack_resource(
        rules.SERVICE_PRINCIPAL,
        "login-service-principal",
        {"objectId": LOGIN_SP_OBJECT_ID, "id": f"/servicePrincipals/{LOGIN_SP_OBJECT_ID}"},
    )
    sources = {"scim-app": [scim_app], "login-service-principal": [login_sp], "none": []}[job_source]
    job = stack_resource(
        rules.SYNCHRONIZATION_JOB,
        "scim-job",
        {"servicePrincipalId": job_sp_id, "templateId": "scim"},
        {"servicePrincipalId": sources},
    )
    return StackValidationArgs([scim_app, login_sp, job]), job


def test_scim_job_on_non_gallery_app_passes() -> None:
    args, _ = scim_stack(SCIM_SP_ID, "scim-app")
    assert run(rules.validate_scim_job_placement, args) == []


def test_scim_job_on_non_gallery_app_passes_in_preview_from_its_dependency() -> None:
    args, _ = scim_stack(UNKNOWN_STRING_VALUE, "scim-app")
    assert run(rules.validate_scim_job_placement, args) == []


@pytest.mark.parametrize("job_sp_id", [f"/servicePrincipals/{LOGIN_SP_OBJECT_ID}", UNKNOWN_STRING_VALUE])
def test_scim_job_on_login_app_is_rejected(job_sp_id: str) -> None:
    args, job = scim_stack(job_sp_id, "login-service-principal")

    violations = run(rules.validate_scim_job_placement, args)

    assert len(violations) == 1
    assert "login app" in violations.messages[0]
    assert violations[0][1] == job.urn


def test_scim_job_on_login_app_is_rejected_by_id_alone() -> None:
    args, _ = scim_stack(f"/servicePrincipals/{LOGIN_SP_OBJECT_ID}", "none")

    messages = run(rules.validate_scim_job_placement, args).messages

    assert len(messages) == 1
    assert "login app" in messages[0]


def test_scim_job_on_an_app_from_another_template_is_rejected() -> None:
    gallery_sp = "/servicePrincipals/9a11e000-0000-4000-8000-000000009a11"
    gallery_app = stack_resource(
        rules.APPLICATION_FROM_TEMPLATE,
        "gallery-app",
        {"templateId": "229946b9-a9fb-45b8-9531-efa47453ac9e", "servicePrincipalId": gallery_sp},
    )
    job = stack_resource(
        rules.SYNCHRONIZATION_JOB, "scim-job", {"servicePrincipalId": gallery_sp}, {"servicePrincipalId": [gallery_app]}
    )

    messages = run(rules.validate_scim_job_placement, StackValidationArgs([gallery_app, job])).messages

    assert len(messages) == 1
    assert "non-gallery template" in messages[0]


# --- rule 6: no delete-before-replace ----------------------------------------------------------


@pytest.mark.parametrize(
    "resource_type",
    [rules.APPLICATION_PASSWORD, rules.IDENTITY_PROVIDER, rules.APPLICATION, rules.SERVICE_PRINCIPAL],
)
def test_delete_before_replace_on_the_secret_path_is_rejected(resource_type: str) -> None:
    violating = resource_args(resource_type, {}, delete_before_replace=True)
    compliant = resource_args(resource_type, {}, delete_before_replace=None)

    messages = run(rules.validate_no_delete_before_replace, violating).messages

    assert len(messages) == 1
    assert "deleteBeforeReplace" in messages[0]
    assert run(rules.validate_no_delete_before_replace, compliant) == []


def test_delete_before_replace_elsewhere_is_not_this_rules_concern() -> None:
    args = resource_args(rules.SYNCHRONIZATION_JOB, {}, delete_before_replace=True)
    assert run(rules.validate_no_delete_before_replace, args) == []


# --- rule 7: protection in prod ----------------------------------------------------------------


@pytest.mark.parametrize(
    "resource_type",
    [rules.APPLICATION, rules.SERVICE_PRINCIPAL, rules.APPLICATION_FROM_TEMPLATE, rules.IDENTITY_PROVIDER],
)
def test_unprotected_identity_object_is_rejected_when_protect_is_required(resource_type: str) -> None:
    required = {"requireProtect": True}
    violating = resource_args(resource_type, {}, config=required, protect=False)
    compliant = resource_args(resource_type, {}, config=required, protect=True)

    messages = run(rules.validate_protected, violating).messages

    assert len(messages) == 1
    assert "not protected" in messages[0]
    assert run(rules.validate_protected, compliant) == []


def test_protection_is_not_required_without_the_config_flag() -> None:
    assert run(rules.validate_protected, resource_args(rules.APPLICATION, {}, protect=False)) == []


def test_client_secret_need_not_be_protected() -> None:
    # Rotation replaces the secret; protecting it would block every rotation.
    args = resource_args(rules.APPLICATION_PASSWORD, {}, config={"requireProtect": True}, protect=False)
    assert run(rules.validate_protected, args) == []


# --- rule 8: the email claim in ID tokens -------------------------------------------------------


def test_email_claim_in_id_tokens_passes() -> None:
    assert run(rules.validate_login_app_email_claim, resource_args(rules.APPLICATION, login_app())) == []


@pytest.mark.parametrize(
    "optional_claims",
    [None, {}, {"idTokens": []}, {"idTokens": [{"name": "upn"}]}, {"accessTokens": [{"name": "email"}]}],
    ids=["absent", "empty", "no-id-token-claims", "another-claim", "access-token-only"],
)
def test_login_app_without_the_email_claim_in_id_tokens_is_rejected(optional_claims: dict[str, Any] | None) -> None:
    args = resource_args(rules.APPLICATION, login_app(optionalClaims=optional_claims))
    messages = run(rules.validate_login_app_email_claim, args).messages
    assert len(messages) == 1
    assert messages[0].startswith("The login app does not request the optional claim email in ID tokens.")


def test_email_claim_rule_ignores_other_resource_types() -> None:
    args = resource_args(rules.APPLICATION_FROM_TEMPLATE, {"displayName": "SCIM", "templateId": "x"})
    assert run(rules.validate_login_app_email_claim, args) == []


# --- the pack and its prod configuration ---------------------------------------------------


def policies_by_name() -> dict[str, Any]:
    return {policy.name: policy for policy in rules.POLICIES}


def prod_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((POLICY_DIR / "prod-config.json").read_text())
    return config


def test_pack_has_one_policy_per_rule_each_linking_its_documentation() -> None:
    policies = policies_by_name()
    assert len(policies) == 9
    for policy in policies.values():
        assert policy.url is not None
        assert policy.url.startswith("https://")
    assert sum(isinstance(policy, ResourceValidationPolicy) for policy in policies.values()) == 8


def test_prod_config_makes_every_policy_mandatory_with_known_settings() -> None:
    policies = policies_by_name()
    config = prod_config()

    assert set(config) == set(policies)
    for name, settings in config.items():
        assert settings["enforcementLevel"] == "mandatory", name
        schema = policies[name].config_schema
        known = set(schema.properties) if schema else set()
        assert set(settings) - {"enforcementLevel"} <= known, name
    assert config["identity-objects-protected"]["requireProtect"] is True
    assert config["client-secret-end-date"]["maxLifetimeDays"] <= constants.ADVISED_SECRET_LIFETIME_DAYS


def test_pack_requirements_pin_the_projects_sdk_versions() -> None:
    def pins(path: Path) -> dict[str, str]:
        lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        return dict(line.split("==") for line in lines if "==" in line)

    root = POLICY_DIR.parent
    project = pins(root / "requirements.txt") | pins(root / "requirements-dev.txt")
    pack = pins(POLICY_DIR / "requirements.txt")
    assert pack == {"pulumi": project["pulumi"], "pulumi-policy": project["pulumi-policy"]}


# --- the real program passes the pack ---------------------------------------------------------


def pack_violations(run: ProgramRun, config: dict[str, Any]) -> list[str]:
    """Every rule of the pack over what the program registered, with its policy config."""
    resources = [
        PolicyResource(
            resource_type=r.type,
            props=unknown_checking_proxy(reveal(r.outputs if r.custom else r.inputs)),
            urn=r.urn,
            name=r.name,
            opts=options(r.protect, r.delete_before_replace or None),
            provider=None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
        for r in run.registrations
    ]
    found: list[str] = []
    for policy in rules.POLICIES:
        settings = {k: v for k, v in config.get(policy.name, {}).items() if k != "enforcementLevel"}
        report = Violations()
        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, settings), report)
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for resource in resources:
                args = ResourceValidationArgs(
                    resource.resource_type,
                    unknown_checking_proxy(reveal(run.monitor.registrations[resource.urn].inputs)),
                    resource.urn,
                    resource.name,
                    resource.opts,
                    None,
                    settings,
                )
                policy.validate(args, report)
        found += [f"{policy.name}: {message}" for message in report.messages]
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_fixture_stack_passes_every_rule(stack: str) -> None:
    config = prod_config() if stack == "prod" else {}
    # The secret rule measures from the real clock, so the program runs at the real time too.
    run = run_program(stack_file_config(stack), stack=stack, now=datetime.now(UTC))

    assert pack_violations(run, config) == []
    assert {rules.SYNCHRONIZATION_JOB, rules.APPLICATION_PASSWORD} <= {r.type for r in run.registrations}


def test_program_with_pkce_off_and_no_protection_fails_the_prod_rules() -> None:
    config = stack_file_config("prod")
    config[f"{PROJECT}:pkceEnabled"] = False
    config[f"{PROJECT}:protect"] = False

    run = run_program(config, stack="prod", now=datetime.now(UTC))
    violated = {message.split(":", 1)[0] for message in pack_violations(run, prod_config())}

    assert violated == {"identity-provider-pkce", "identity-objects-protected"}


# --- rule 5: the work email of managed attribute mappings ----------------------------------------------


def attribute_mappings_props(work_email: str | None) -> dict[str, Any]:
    mappings = {"userName": "mail", "name.givenName": "givenName"}
    if work_email is not None:
        mappings['emails[type eq "work"].value'] = work_email
    return {"job": "/servicePrincipals/5c/synchronization/jobs/scim.1", "mappings": mappings, "__provider": "x"}


def test_work_email_from_mail_passes() -> None:
    args = resource_args(rules.DYNAMIC_RESOURCE, attribute_mappings_props("mail"))
    assert run(rules.validate_scim_work_email, args) == []


@pytest.mark.parametrize("work_email", ["userPrincipalName", None])
def test_work_email_from_anything_else_is_rejected(work_email: str | None) -> None:
    args = resource_args(rules.DYNAMIC_RESOURCE, attribute_mappings_props(work_email))
    messages = run(rules.validate_scim_work_email, args).messages
    assert len(messages) == 1 and f"from {work_email!r}, not mail" in messages[0]


def test_work_email_rule_ignores_other_dynamic_resources() -> None:
    args = resource_args(rules.DYNAMIC_RESOURCE, {"__provider": "x", "name": "something else"})
    assert run(rules.validate_scim_work_email, args) == []


def test_the_programs_attribute_mappings_pass_the_work_email_rule() -> None:
    run_result = run_program({**minimal_config(), "scim": {"userAttributes": {"userName": "mail"}}})
    resource = run_result.one(rules.DYNAMIC_RESOURCE)
    args = resource_args(rules.DYNAMIC_RESOURCE, reveal(resource.inputs))
    assert run(rules.validate_scim_work_email, args) == []
