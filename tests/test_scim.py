"""SCIM provisioning (components/scim.py) under the mock runtime."""

from __future__ import annotations

from harness import fake_guid, is_secret_at, minimal_config, reveal, run_program

GUID = "6a1f3c9d-2b4e-4f60-8a7b-9c0d1e2f3a4b"
SCIM_TYPES = ("ApplicationFromTemplate", "SynchronizationSecret", "SynchronizationJob")


def test_scim_app_is_a_separate_non_gallery_enterprise_app() -> None:
    run = run_program(minimal_config(), stack="dev")
    scim_app = run.one("ApplicationFromTemplate")
    assert scim_app.inputs == {
        "displayName": "Cloudflare Access SCIM (dev)",
        "templateId": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
    }
    login_app = run.named("login-app")
    assert scim_app.outputs["applicationObjectId"] != login_app.outputs["objectId"]


def test_app_name_is_configurable() -> None:
    run = run_program(minimal_config(scim={"appName": "CF SCIM"}))
    assert run.one("ApplicationFromTemplate").inputs["displayName"] == "CF SCIM"


def test_secret_and_job_sit_on_the_scim_apps_service_principal() -> None:
    run = run_program(minimal_config())
    scim_sp = run.one("ApplicationFromTemplate").outputs["servicePrincipalId"]
    login_sp = run.named("login-service-principal").outputs["objectId"]
    for kind in ("SynchronizationSecret", "SynchronizationJob"):
        target = run.one(kind).inputs["servicePrincipalId"]
        assert target == scim_sp
        assert login_sp not in target


def test_endpoint_and_token_are_exactly_what_cloudflare_returned() -> None:
    run = run_program(minimal_config())
    returned = reveal(run.named("identity-provider-login-method").outputs["scimConfig"])
    credentials = reveal(run.one("SynchronizationSecret").inputs["credentials"])
    assert sorted(credentials, key=lambda c: c["key"]) == [
        {"key": "BaseAddress", "value": returned["scimBaseUrl"]},
        {"key": "SecretToken", "value": returned["secret"]},
    ]
    assert returned["scimBaseUrl"].startswith("https://acme-test.cloudflareaccess.com/populations/")
    assert returned["secret"].startswith("scim-secret-")


def test_token_reaches_entra_only_as_a_secret() -> None:
    secret = run_program(minimal_config()).one("SynchronizationSecret")
    token_index = [c["key"] for c in reveal(secret.inputs["credentials"])].index("SecretToken")
    assert is_secret_at(secret.inputs["credentials"], token_index, "value")


def test_job_uses_the_scim_template_is_enabled_and_depends_on_the_secret() -> None:
    run = run_program(minimal_config())
    job = run.one("SynchronizationJob")
    assert job.inputs["templateId"] == "scim"
    assert job.inputs["enabled"] is True
    assert run.one("SynchronizationSecret").urn in job.dependencies


def test_every_provisioning_group_is_assigned_with_the_user_role() -> None:
    run = run_program(minimal_config(scim={"groups": ["Engineering", GUID, "Contractors"]}))
    scim_sp = run.one("ApplicationFromTemplate").outputs["servicePrincipalObjectId"]
    assignments = [r for r in run.of_type("AppRoleAssignment") if r.name.startswith("scim-assignment-")]
    assert sorted(
        (a.inputs["principalObjectId"], a.inputs["appRoleId"], a.inputs["resourceObjectId"]) for a in assignments
    ) == sorted(
        (principal, "18d14569-c3bd-439b-9a66-3a2aee01d14f", scim_sp)
        for principal in (fake_guid("group", "Engineering"), GUID, fake_guid("group", "Contractors"))
    )
    job = run.one("SynchronizationJob")
    assert all(a.urn in job.dependencies for a in assignments)


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
