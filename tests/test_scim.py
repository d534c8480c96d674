"""SCIM provisioning (components/scim.py) under the mock runtime.

Component tests build `ScimProvisioning` alone from explicit `ScimProvisioningArgs`
(`run_component`): the SCIM app, its credentials, assignments and job, their wiring and secrets,
and its outputs. Whole-program tests (`run_program`, marked below) cover the composition: the
endpoint and token Cloudflare returned reaching Entra, names and groups from the settings, SCIM
switched off, and the stack outputs __main__.py exports.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from harness import ProgramRun, fake_guid, is_secret_at, minimal_config, reveal, run_component, run_program

from components.scim import ScimProvisioning, ScimProvisioningArgs

GUID = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"
ENGINEERING = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"
CONTRACTORS = "1d2e3f4a-5b6c-4d7e-9f80-91a2b3c4d5e6"
SCIM_TYPES = ("ApplicationFromTemplate", "SynchronizationSecret", "SynchronizationJob")
NON_GALLERY_TEMPLATE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
USER_ROLE = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
# The identity provider's outputs, passed plain: the component must make the token a secret itself.
ARGS = ScimProvisioningArgs(
    display_name="Cloudflare Access SCIM (test)",
    scim_endpoint="https://acme-test.cloudflareaccess.com/populations/0a1b2c3d/scim/v2",
    scim_secret="scim-token-from-cloudflare",
    groups={"engineering": ENGINEERING},
)


def scim(**changes: Any) -> ProgramRun:
    args = replace(ARGS, **changes)
    return run_component(lambda: ScimProvisioning("scim", args))


def credentials(run: ProgramRun) -> list[dict[str, Any]]:
    return sorted(reveal(run.one("SynchronizationSecret").inputs["credentials"]), key=lambda c: c["key"])


# --- the component ---------------------------------------------------------------------------------


def test_scim_app_is_a_non_gallery_enterprise_app_with_the_given_name() -> None:
    assert scim(display_name="CF SCIM").one("ApplicationFromTemplate").inputs == {
        "displayName": "CF SCIM",
        "templateId": NON_GALLERY_TEMPLATE,
    }


def test_secret_and_job_sit_on_the_scim_apps_service_principal() -> None:
    run = scim()
    scim_sp = run.one("ApplicationFromTemplate").outputs["servicePrincipalId"]
    for kind in ("SynchronizationSecret", "SynchronizationJob"):
        assert run.one(kind).inputs["servicePrincipalId"] == scim_sp


def test_credentials_are_the_given_endpoint_and_token_and_the_default_settings() -> None:
    assert credentials(scim()) == [
        {"key": "BaseAddress", "value": "https://acme-test.cloudflareaccess.com/populations/0a1b2c3d/scim/v2"},
        {"key": "SecretToken", "value": "scim-token-from-cloudflare"},
        {"key": "SyncAll", "value": "false"},
        # Graph's own example value: no failure e-mail, no deletion guard.
        {"key": "SyncNotificationSettings", "value": '{"Enabled":false,"DeleteThresholdEnabled":false}'},
    ]


def credential(run: ProgramRun, key: str) -> str:
    return next(c["value"] for c in credentials(run) if c["key"] == key)


def test_scope_all_is_written_as_sync_all_true() -> None:
    assert credential(scim(sync_all=True), "SyncAll") == "true"
    assert credential(scim(sync_all=False), "SyncAll") == "false"


def test_failure_email_and_deletion_guard_are_written_as_notification_settings() -> None:
    run = scim(notification_email="identity-team@example.com", deletion_threshold=25)
    assert json.loads(credential(run, "SyncNotificationSettings")) == {
        "Enabled": True,
        "Recipients": "identity-team@example.com",
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 25,
    }


def test_each_notification_setting_stands_alone() -> None:
    email_only = json.loads(credential(scim(notification_email="ops@example.com"), "SyncNotificationSettings"))
    assert email_only == {"Enabled": True, "Recipients": "ops@example.com", "DeleteThresholdEnabled": False}
    guard_only = json.loads(credential(scim(deletion_threshold=1), "SyncNotificationSettings"))
    assert guard_only == {"Enabled": False, "DeleteThresholdEnabled": True, "DeleteThresholdValue": 1}


@pytest.mark.parametrize("key", ["SecretToken", "SyncAll", "SyncNotificationSettings"])
def test_credentials_reach_entra_only_as_secrets(key: str) -> None:
    secret = scim(notification_email="identity-team@example.com", deletion_threshold=25).one("SynchronizationSecret")
    index = [c["key"] for c in reveal(secret.inputs["credentials"])].index(key)
    assert is_secret_at(secret.inputs["credentials"], index, "value")


def test_job_uses_the_scim_template_is_enabled_and_depends_on_the_secret() -> None:
    run = scim()
    job = run.one("SynchronizationJob")
    assert job.inputs["templateId"] == "scim"
    assert job.inputs["enabled"] is True
    assert run.one("SynchronizationSecret").urn in job.dependencies


def test_every_provisioning_group_is_assigned_with_the_user_role() -> None:
    run = scim(groups={"engineering": ENGINEERING, GUID: GUID, "contractors": CONTRACTORS})
    scim_sp = run.one("ApplicationFromTemplate").outputs["servicePrincipalObjectId"]
    assignments = run.of_type("AppRoleAssignment")
    assert {a.name: a.inputs for a in assignments} == {
        f"scim-assignment-{group_slug}": {
            "appRoleId": USER_ROLE,
            "principalObjectId": object_id,
            "resourceObjectId": scim_sp,
        }
        for group_slug, object_id in (("engineering", ENGINEERING), (GUID, GUID), ("contractors", CONTRACTORS))
    }
    job = run.one("SynchronizationJob")
    assert all(a.urn in job.dependencies for a in assignments)


def test_children_are_parented_to_the_component() -> None:
    run = scim()
    component = run.one("entracf:scim:ScimProvisioning")
    children = {r.name: r.parent for r in run.registrations if r is not component}
    assert children == dict.fromkeys(
        ["scim-app", "scim-assignment-engineering", "scim-secret", "scim-job"], component.urn
    )


def test_outputs_name_the_app_and_job_but_never_the_token() -> None:
    run = scim()
    scim_app = run.one("ApplicationFromTemplate")
    assert run.exports == {
        "app_object_id": scim_app.outputs["applicationObjectId"],
        "service_principal_object_id": scim_app.outputs["servicePrincipalObjectId"],
        "job_id": fake_guid(run.one("SynchronizationJob").type, "scim-job"),
    }
    assert "scim-token-from-cloudflare" not in repr(run.exports)


# --- whole program: SCIM in the composition --------------------------------------------------------


def test_endpoint_and_token_are_exactly_what_cloudflare_returned() -> None:
    run = run_program(minimal_config())
    returned = reveal(run.named("identity-provider-login-method").outputs["scimConfig"])
    assert credential(run, "BaseAddress") == returned["scimBaseUrl"]
    assert credential(run, "SecretToken") == returned["secret"]
    assert returned["scimBaseUrl"].startswith("https://acme-test.cloudflareaccess.com/populations/")
    assert returned["secret"].startswith("scim-secret-")


def test_app_name_defaults_to_include_the_stack_and_is_configurable() -> None:
    default = run_program(minimal_config(), stack="dev").one("ApplicationFromTemplate")
    assert default.inputs["displayName"] == "Cloudflare Access SCIM (dev)"
    named = run_program(minimal_config(scim={"appName": "CF SCIM"})).one("ApplicationFromTemplate")
    assert named.inputs["displayName"] == "CF SCIM"


def test_configured_provisioning_groups_are_resolved_and_assigned_by_slug() -> None:
    run = run_program(minimal_config(scim={"groups": ["Engineering", GUID]}))
    principals = {
        r.name: r.inputs["principalObjectId"] for r in run.of_type("AppRoleAssignment") if r.name.startswith("scim-")
    }
    assert principals == {
        "scim-assignment-engineering": fake_guid("group", "Engineering"),
        f"scim-assignment-{GUID}": GUID,
    }


def test_provisioning_groups_default_to_sign_in_groups() -> None:
    run = run_program(minimal_config(signInGroups=["Engineering", "Finance"]))
    names = sorted(r.name for r in run.of_type("AppRoleAssignment") if r.name.startswith("scim-"))
    assert names == ["scim-assignment-engineering", "scim-assignment-finance"]


def test_disabled_scim_declares_no_scim_resources_and_no_scim_outputs() -> None:
    run = run_program(minimal_config(scim={"enabled": False}))
    for kind in SCIM_TYPES:
        assert run.of_type(kind) == []
    assert not [r for r in run.registrations if r.name.startswith("scim")]
    assert not [key for key in run.exports if key.startswith("scim")]


def test_outputs_name_the_endpoint_app_and_job_but_never_the_secret() -> None:
    run = run_program(minimal_config())
    scim_app = run.one("ApplicationFromTemplate")
    returned = reveal(run.named("identity-provider-login-method").outputs["scimConfig"])
    assert run.exports["scimEndpoint"] == returned["scimBaseUrl"]
    assert run.exports["scimAppObjectId"] == scim_app.outputs["applicationObjectId"]
    assert run.exports["scimServicePrincipalObjectId"] == scim_app.outputs["servicePrincipalObjectId"]
    assert run.exports["scimProvisioningJobId"] == fake_guid(run.one("SynchronizationJob").type, "scim-job")
    assert returned["secret"] not in repr(run.exports)


def test_provisioning_settings_default_to_assigned_scope_without_email_or_guard() -> None:
    run = run_program(minimal_config())
    assert credential(run, "SyncAll") == "false"
    assert json.loads(credential(run, "SyncNotificationSettings")) == {
        "Enabled": False,
        "DeleteThresholdEnabled": False,
    }


def test_configured_provisioning_settings_reach_the_credentials() -> None:
    config = minimal_config(
        scim={"scope": "all", "notificationEmail": "identity-team@example.com", "deletionThreshold": 40}
    )
    run = run_program(config)
    assert credential(run, "SyncAll") == "true"
    assert json.loads(credential(run, "SyncNotificationSettings")) == {
        "Enabled": True,
        "Recipients": "identity-team@example.com",
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 40,
    }


def test_scope_all_provisions_without_any_group() -> None:
    run = run_program(minimal_config(scim={"scope": "all", "groups": []}))
    assert credential(run, "SyncAll") == "true"
    assert [r.name for r in run.of_type("AppRoleAssignment") if r.name.startswith("scim-")] == []
    assert run.one("SynchronizationJob").inputs["enabled"] is True


def test_provisioning_groups_that_differ_from_sign_in_groups_are_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    run_program(minimal_config(signInGroups=["Engineering", "Finance"], scim={"groups": ["Engineering", "Sales"]}))
    [warning] = warned
    assert warning.startswith(
        "scim.groups differs from signInGroups (in signInGroups but not in scim.groups: Finance; "
        "in scim.groups but not in signInGroups: Sales)."
    )
