"""ops/verify.py end to end against fake Graph, Cloudflare and Pulumi CLI: every check's pass and fail.

Every run goes through `run_verify`, which also asserts that no secret (client secret, Graph
token, Cloudflare token) appears on stdout or stderr.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from azure.identity import ClientSecretCredential
from entra_https_fake import ISSUED_TOKEN, Certificates, FakeEntraLogin, route_to_loopback, serve
from harness import ACCOUNT_ID, TENANT_ID
from schema_fakes import FakeSchemaGraph
from verify_fakes import (
    ACCESS_GROUP_ID,
    ADMINS_GROUP_ID,
    APP_OBJECT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CLOUDFLARE_TOKEN,
    EXPIRES_AT,
    GRAPH_TOKEN,
    KEY_ID,
    NOW,
    ROTATES_FROM,
    SCIM_SECRET,
    USERS_GROUP_ID,
    FakeCredential,
    FakeTenant,
    iso,
    stack_export,
    stack_outputs,
    write_project,
)

from ops import permissions
from ops.stack_outputs import (
    StackError,
    StackOutputs,
    client_secret_from_export,
    read_stack,
    secret_values_from_export,
)
from ops.verify import Runtime, access_rule_differences, main

ROOT = Path(__file__).resolve().parent.parent
SECRETS = (CLIENT_SECRET, SCIM_SECRET, GRAPH_TOKEN, CLOUDFLARE_TOKEN)
CHECK_IDS = [
    "entra.login-app.redirect-uri",
    "entra.login-app.scopes",
    "entra.login-app.email-claim",
    "entra.consent-grant",
    "entra.client-secret.expiry",
    "entra.client-secret.others",
    "entra.client-secret.sign-in",
    "entra.assignment-required",
    "entra.sign-in-groups",
    "entra.scim.job",
    "entra.scim.test-connection",
    "entra.scim.quarantine",
    "entra.scim.last-run",
    "entra.scim.groups",
    "cloudflare.login-method",
    "cloudflare.login-method.settings",
    "cloudflare.login-method.scim",
    "cloudflare.scim.received",
    "cloudflare.access-group.Engineers",
]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    tenant: FakeTenant
    sleeps: list[float] = field(default_factory=list)
    root: Path = Path()

    def checks(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in json.loads(self.stdout)["checks"]}

    def status(self, check_id: str) -> str:
        return str(self.checks()[check_id]["status"])

    def reason(self, check_id: str) -> str:
        return str(self.checks()[check_id]["reason"])

    def with_status(self, status: str) -> list[str]:
        return [check_id for check_id, check in self.checks().items() if check["status"] == status]


def run_verify(
    tmp_path: Path,
    *args: str,
    tenant: FakeTenant | None = None,
    outputs: dict[str, Any] | None = None,
    export: dict[str, Any] | None = None,
    deployed: bool = True,
    env: dict[str, str] | None = None,
    credential: Any = "fake",
    now: datetime = NOW,
    json_output: bool = True,
    pass_through_host: str | None = None,
    also: Callable[[respx.MockRouter], None] = lambda router: None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    edit_stack: Callable[[str], str] = lambda text: text,
) -> Result:
    """`sleep`: the runtime's (default: record and return at once); `edit_stack`: changes the stack file's text."""
    tenant = tenant or FakeTenant()
    bin_dir = write_project(
        tmp_path,
        outputs=(outputs if outputs is not None else stack_outputs()) if deployed else None,
        export=(export if export is not None else stack_export()) if deployed else None,
    )
    stack_file = tmp_path / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(edit_stack(stack_file.read_text()))
    # An empty passphrase is one Pulumi accepts; the fake CLI never asks for it.
    environ = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
        "PULUMI_CONFIG_PASSPHRASE": "",
    }
    environ.update(env or {})
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    runtime = Runtime(
        environ=environ,
        credential=FakeCredential() if credential == "fake" else credential,
        sleep=sleep or record,
        now=lambda: now,
        root=tmp_path,
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    with respx.mock(assert_all_called=False) as router:
        tenant.install(router)
        also(router)
        if pass_through_host:
            router.route(host=pass_through_host).pass_through()
        code = main(["--stack", "dev", *(["--json"] if json_output else []), *args], runtime, stdout, stderr)
    result = Result(code, stdout.getvalue(), stderr.getvalue(), tenant, sleeps, tmp_path)
    for secret in SECRETS:
        assert secret not in result.stdout and secret not in result.stderr
    return result


# --- the happy path -------------------------------------------------------------------------------


def test_a_healthy_setup_holds_every_check_and_exits_0(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    assert result.code == 0, result.stdout
    assert list(result.checks()) == CHECK_IDS
    assert {c["status"] for c in result.checks().values()} == {"holds"}
    assert json.loads(result.stdout)["summary"] == {"holds": 19, "warns": 0, "fails": 0, "skipped": 0}
    assert result.reason("entra.client-secret.expiry") == (
        "ends 2026-04-13 00:00 UTC, 28 days left; rotates from 2026-03-30 00:00 UTC"
    )
    assert result.reason("cloudflare.scim.received") == (
        "Cloudflare has 7 users and 2 groups from SCIM; Entra assigns the SCIM app 2 groups and 0 users directly"
    )
    # Nothing was changed: no restart, and the only POSTs are Test Connection and the token request.
    assert result.tenant.restarted_with == []
    assert sorted(r.url.path.rsplit("/", 1)[-1] for r in result.tenant.requests if r.method == "POST") == [
        "token",
        "validateCredentials",
    ]


def test_text_report_has_one_line_per_check_and_a_summary(tmp_path: Path) -> None:
    result = run_verify(tmp_path, json_output=False)
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("verify stack dev: tenant 7e5a1c2b-0000-4000-8000-00000000a11d")
    assert len(lines) == 1 + 19 + 1
    assert lines[1].split()[:5] == ["holds", "Login", "app", "redirect", "URI"]
    assert lines[-1] == "19 checks: 19 hold, 0 warn, 0 fail (all checks hold)"


def test_it_reads_the_stack_through_the_cli_with_the_make_up_backend_default(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    backend = f"backend=file://{tmp_path}/.pulumi-state"
    assert sorted((tmp_path / "pulumi.log").read_text().splitlines()) == [
        f"stack export --show-secrets --stack dev {backend}",
        f"stack output --json --stack dev {backend}",
    ]
    assert result.code == 0


def test_the_client_secret_is_sent_only_to_the_token_endpoint(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    carrying = [r.url.host for r in result.tenant.requests if CLIENT_SECRET.encode() in r.content]
    assert carrying == ["login.microsoftonline.com"]
    assert not any(CLIENT_SECRET in str(r.url) or CLIENT_SECRET in str(r.headers) for r in result.tenant.requests)


# --- Entra: each check's failure ------------------------------------------------------------------


def test_an_extra_redirect_uri_fails(tmp_path: Path) -> None:
    tenant = FakeTenant(
        redirect_uris=["https://acme-test.cloudflareaccess.com/cdn-cgi/access/callback", "https://evil.test/cb"]
    )
    result = run_verify(tmp_path, tenant=tenant)
    assert result.code == 1
    assert result.status("entra.login-app.redirect-uri") == "fails"
    assert "but so is https://evil.test/cb" in result.reason("entra.login-app.redirect-uri")


def test_an_app_without_the_email_claim_in_id_tokens_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(id_token_claims=["upn"]))
    assert result.code == 1
    assert result.status("entra.login-app.email-claim") == "fails"
    assert result.reason("entra.login-app.email-claim").startswith(
        "the login app does not request the optional claim email in ID tokens"
    )
    assert result.reason("entra.login-app.email-claim").endswith("; redeploy")


def test_the_email_claim_check_reads_the_selected_optional_claims(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    assert (
        result.reason("entra.login-app.email-claim") == "the login app requests the optional claim email in ID tokens"
    )
    [app_read] = [r for r in result.tenant.requests if r.url.path.endswith(f"/applications/{APP_OBJECT_ID}")]
    assert "optionalClaims" in app_read.url.params["$select"].split(",")


def test_a_missing_scope_fails_naming_it(tmp_path: Path) -> None:
    tenant = FakeTenant()
    tenant.scope_ids.remove("bc024368-1153-4739-b217-4326f2e966d0")
    result = run_verify(tmp_path, tenant=tenant)
    assert result.reason("entra.login-app.scopes") == "missing GroupMember.Read.All; redeploy"
    assert result.code == 1


def test_a_consent_grant_without_all_seven_scopes_fails(tmp_path: Path) -> None:
    tenant = FakeTenant(consent_scopes=["openid", "profile", "email"])
    result = run_verify(tmp_path, tenant=tenant)
    assert result.status("entra.consent-grant") == "fails"
    assert "lacks offline_access, User.Read, Directory.Read.All, GroupMember.Read.All" in result.reason(
        "entra.consent-grant"
    )


def test_an_expired_secret_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, now=EXPIRES_AT + timedelta(days=1))
    assert result.status("entra.client-secret.expiry") == "fails"
    assert result.reason("entra.client-secret.expiry").startswith("expired 2026-04-13 00:00 UTC")
    assert result.code == 1


def test_a_secret_in_its_grace_period_warns_and_still_exits_0(tmp_path: Path) -> None:
    result = run_verify(tmp_path, now=ROTATES_FROM + timedelta(days=2))
    assert result.status("entra.client-secret.expiry") == "warns"
    assert "in its grace period: ends 2026-04-13 00:00 UTC, 12 days left" in result.reason("entra.client-secret.expiry")
    assert result.code == 0


def test_the_stacks_secret_deleted_by_hand_fails(tmp_path: Path) -> None:
    tenant = FakeTenant(password_credentials=[])
    result = run_verify(tmp_path, tenant=tenant)
    assert result.reason("entra.client-secret.expiry").startswith(
        f"the stack's secret (key ID {KEY_ID}) is not on the app"
    )


def test_a_secret_whose_end_date_differs_from_the_stack_fails(tmp_path: Path) -> None:
    tenant = FakeTenant(password_credentials=[{"keyId": KEY_ID, "endDateTime": "2027-01-01T00:00:00Z"}])
    result = run_verify(tmp_path, tenant=tenant)
    assert result.reason("entra.client-secret.expiry") == (
        "ends 2027-01-01 00:00 UTC, but the stack says 2026-04-13 00:00 UTC; redeploy"
    )


def test_other_secrets_on_the_app_are_listed_with_their_expiry(tmp_path: Path) -> None:
    tenant = FakeTenant()
    tenant.password_credentials.append(
        {"keyId": "old-key", "displayName": "manual setup", "endDateTime": iso(NOW - timedelta(days=3))}
    )
    result = run_verify(tmp_path, tenant=tenant)
    assert result.status("entra.client-secret.others") == "warns"
    assert result.reason("entra.client-secret.others") == (
        "1 secret(s) not made by this stack: 'manual setup' key old-key expired 2026-03-12 12:00 UTC"
    )


def test_a_secret_entra_rejects_fails_the_sign_in_check_without_printing_it(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(valid_secret="another-secret"))
    assert result.status("entra.client-secret.sign-in") == "fails"
    assert "invalid_client: AADSTS7000215: Invalid client secret provided" in result.reason(
        "entra.client-secret.sign-in"
    )


def test_the_secret_may_be_a_plain_string_in_the_export(tmp_path: Path) -> None:
    result = run_verify(tmp_path, export=stack_export(secret=CLIENT_SECRET))
    assert result.status("entra.client-secret.sign-in") == "holds"


def test_assignment_not_required_while_configured_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(assignment_required=False))
    assert result.reason("entra.assignment-required") == "false, but the stack configures true; redeploy"


def test_an_unassigned_sign_in_group_fails_naming_it(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(login_assignments=[USERS_GROUP_ID]))
    assert result.reason("entra.sign-in-groups") == (
        f"not assigned to the login app: {ADMINS_GROUP_ID} ({ADMINS_GROUP_ID}); redeploy"
    )


def test_assignments_are_read_across_pages(tmp_path: Path) -> None:
    result = run_verify(tmp_path)
    assert result.tenant.count("login_assignments") == 2  # page size 1, two groups
    assert result.status("entra.sign-in-groups") == "holds"


# --- Entra: SCIM provisioning ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenant", "root", "cause", "skipped", "raw"),
    [
        (
            FakeTenant(job_exists=False),
            "entra.scim.job",
            f"the provisioning job {stack_outputs()['scimProvisioningJobId']} does not exist: it was deleted; "
            "recreate it with 'scripts/stack.sh up dev --refresh'",
            ["entra.scim.test-connection", "entra.scim.quarantine", "entra.scim.last-run"],
            "was not found",  # Graph's 404 text; Graph answers 404 under the deleted job to Test Connection too
        ),
        (
            FakeTenant(idp_exists=False),
            "cloudflare.login-method",
            f"the login method 1d000000-0000-4000-8000-0000000001d1 in account {ACCOUNT_ID} does not exist: "
            "it was deleted; "
            "recreate it with 'scripts/stack.sh up dev --refresh'",
            ["cloudflare.login-method.settings", "cloudflare.login-method.scim", "cloudflare.scim.received"],
            "access.api.error.not_found",
        ),
    ],
    ids=["deleted job", "deleted login method"],
)
def test_a_deleted_object_is_reported_once_with_its_fix_and_its_dependants_skipped(
    tmp_path: Path, tenant: FakeTenant, root: str, cause: str, skipped: list[str], raw: str
) -> None:
    result = run_verify(tmp_path, tenant=tenant)
    assert result.code == 1
    assert result.with_status("fails") == [root]
    assert result.reason(root) == cause
    assert result.with_status("skipped") == skipped
    because = f"skipped: '{result.checks()[root]['title']}' failed (the object does not exist)"
    assert {result.reason(check_id) for check_id in skipped} == {because}
    assert raw not in result.stdout


def test_a_deleted_job_skips_the_attribute_mappings_check_too(tmp_path: Path) -> None:
    mappings = "    identityUpdateBehavior: reauth\n    userAttributes:\n      userName: mail\n"
    schema = FakeSchemaGraph(job_exists=False)
    result = run_verify(
        tmp_path,
        tenant=FakeTenant(job_exists=False),
        edit_stack=lambda text: text.replace("    identityUpdateBehavior: reauth\n", mappings),
        also=schema.install,
    )
    assert result.with_status("fails") == ["entra.scim.job"]
    assert result.reason("entra.scim.attribute-mappings") == (
        "skipped: 'Provisioning job' failed (the object does not exist)"
    )


def test_a_deleted_login_app_and_its_service_principal_are_each_reported_once(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(app_exists=False))
    assert result.code == 1
    assert result.with_status("fails") == ["entra.login-app.redirect-uri", "entra.assignment-required"]
    assert result.reason("entra.login-app.redirect-uri") == (
        f"the login app {APP_OBJECT_ID} does not exist: it was deleted; "
        "recreate it with 'scripts/stack.sh up dev --refresh'"
    )
    assert result.reason("entra.assignment-required").startswith(
        f"the login app's service principal (appId {CLIENT_ID}) does not exist: it was deleted;"
    )
    by_app = "skipped: 'Login app redirect URI' failed (the object does not exist)"
    by_service_principal = "skipped: 'Assignment required' failed (the object does not exist)"
    assert {check_id: result.reason(check_id) for check_id in result.with_status("skipped")} == {
        "entra.login-app.scopes": by_app,
        "entra.login-app.email-claim": by_app,
        "entra.consent-grant": by_service_principal,
        "entra.client-secret.expiry": by_app,
        "entra.client-secret.others": by_app,
        # Entra refuses the token with AADSTS700016 (no such app): no verdict on the secret.
        "entra.client-secret.sign-in": by_app,
        "entra.sign-in-groups": by_service_principal,
    }
    assert "Request_ResourceNotFound" not in result.stdout and "rotate-now" not in result.stdout


def test_the_fix_named_for_a_deleted_object_is_a_command_that_exists() -> None:
    script = (ROOT / "scripts" / "stack.sh").read_text()
    assert "up | preview | rotate-now | verify | adopt) ;;" in script
    assert 'up) exec pulumi up "${policy[@]}" --stack "$stack" "$@"' in script  # extra arguments reach pulumi


def test_test_connection_400_fails_with_graphs_message(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(scim_token_valid=False))
    assert result.status("entra.scim.test-connection") == "fails"
    assert result.reason("entra.scim.test-connection").startswith(
        "Entra cannot reach Cloudflare's SCIM endpoint with the saved token: BadRequest: "
        "You appear to have entered invalid credentials."
    )


def test_a_quarantined_job_fails_and_points_to_repair_when_credentials_validate(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(job_code="Quarantine"))
    assert result.status("entra.scim.quarantine") == "fails"
    assert result.reason("entra.scim.quarantine").endswith(
        "its credentials validate now: run again with --repair to restart it"
    )
    assert "quarantined since 2026-03-14T08:00:00Z (EncounteredQuarantineException" in result.reason(
        "entra.scim.quarantine"
    )
    assert result.tenant.restarted_with == []


def test_repair_restarts_a_quarantined_job_whose_credentials_validate(tmp_path: Path) -> None:
    result = run_verify(tmp_path, "--repair", tenant=FakeTenant(job_code="Quarantine"))
    assert result.tenant.restarted_with == [{"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}}]
    assert result.status("entra.scim.quarantine") == "warns"
    assert result.reason("entra.scim.quarantine").endswith(
        "--repair restarted the job to clear the quarantine (status now Active)"
    )
    assert result.code == 0


def test_a_successful_repair_exits_0_and_reports_the_earlier_failed_run_as_a_warning(tmp_path: Path) -> None:
    tenant = FakeTenant(job_code="Quarantine", last_state="Failed")
    without = run_verify(tmp_path / "without", tenant=FakeTenant(job_code="Quarantine", last_state="Failed"))
    assert without.status("entra.scim.last-run") == "fails"  # without --repair, the failed run is the verdict

    result = run_verify(tmp_path / "with", "--repair", tenant=tenant)
    assert result.code == 0, result.stdout
    assert result.status("entra.scim.last-run") == "warns"
    assert result.reason("entra.scim.last-run") == (
        "no run since --repair restarted the job at 2026-03-15 12:00 UTC; before it: Failed, ended "
        "2026-03-15T11:02:00Z; steady state last reached 2026-03-15T11:20:00Z: HTTP 401 from the SCIM endpoint"
    )
    assert len(tenant.restarted_with) == 1
    assert (tenant.count("job"), tenant.count("job_after_restart")) == (1, 1)  # read again after the restart


def test_after_a_repair_a_cycle_that_ran_since_the_restart_is_judged(tmp_path: Path) -> None:
    failed = FakeTenant(job_code="Quarantine", last_state="Failed", run_after_restart="Failed")
    result = run_verify(tmp_path / "failed", "--repair", tenant=failed)
    assert result.status("entra.scim.last-run") == "fails"
    assert result.reason("entra.scim.last-run").startswith("Failed, ended 2026-03-15T12:01:00Z")
    assert result.code == 1

    succeeded = FakeTenant(job_code="Quarantine", last_state="Failed", run_after_restart="Succeeded")
    result = run_verify(tmp_path / "succeeded", "--repair", tenant=succeeded)
    assert result.status("entra.scim.last-run") == "holds"
    assert result.code == 0


def test_repair_does_not_restart_while_credentials_still_fail(tmp_path: Path) -> None:
    result = run_verify(tmp_path, "--repair", tenant=FakeTenant(job_code="Quarantine", scim_token_valid=False))
    assert result.tenant.restarted_with == []
    assert result.reason("entra.scim.quarantine").endswith("still fail Test Connection: fix the SCIM secret first")


def test_repair_on_a_healthy_job_changes_nothing(tmp_path: Path) -> None:
    result = run_verify(tmp_path, "--repair")
    assert result.tenant.restarted_with == []
    assert result.code == 0


def test_a_failed_last_run_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(last_state="Failed"))
    assert result.reason("entra.scim.last-run") == (
        "Failed, ended 2026-03-15T11:02:00Z; steady state last reached 2026-03-15T11:20:00Z: "
        "HTTP 401 from the SCIM endpoint"
    )


def test_a_paused_job_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(job_code="Paused"))
    assert result.status("entra.scim.job") == "fails"


def test_an_unassigned_provisioning_group_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(scim_assignments=[ADMINS_GROUP_ID]))
    assert (
        result.reason("entra.scim.groups")
        == f"not assigned to the SCIM app: Cloudflare Users ({USERS_GROUP_ID}); redeploy"
    )


def test_test_connection_without_synchronization_readwrite_names_it(tmp_path: Path) -> None:
    tenant = FakeTenant()
    tenant.graph_permissions.discard("Synchronization.ReadWrite.All")
    result = run_verify(tmp_path, tenant=tenant)
    assert result.status("entra.scim.test-connection") == "fails"
    assert "it needs the Microsoft Graph permission Synchronization.ReadWrite.All" in result.reason(
        "entra.scim.test-connection"
    )
    assert result.status("entra.scim.job") == "holds"


def test_a_bad_graph_token_fails_graph_checks_with_401(tmp_path: Path) -> None:
    result = run_verify(tmp_path, credential=FakeCredential(token="wrong-token"))
    assert result.status("entra.login-app.redirect-uri") == "fails"
    assert "Microsoft Graph refused the credentials (401)" in result.reason("entra.login-app.redirect-uri")
    assert result.status("cloudflare.login-method") == "holds"


def test_throttling_and_a_transient_503_are_retried(tmp_path: Path) -> None:
    tenant = FakeTenant()
    tenant.throttle["application"] = 1
    tenant.flaky["job"] = 1
    result = run_verify(tmp_path, tenant=tenant)
    assert result.code == 0
    assert 2.0 in result.sleeps  # Retry-After honoured
    assert len(result.sleeps) == 2
    assert tenant.count("application") == 2 and tenant.count("job") == 2


# --- Cloudflare -----------------------------------------------------------------------------------


def test_a_login_method_with_another_client_id_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(idp_overrides={"config.client_id": "someone-else"}))
    assert "client_id is someone-else" in result.reason("cloudflare.login-method")


def test_pkce_off_while_configured_on_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(idp_overrides={"config.pkce_enabled": False}))
    assert result.reason("cloudflare.login-method.settings") == "pkce_enabled is False, configured True; redeploy"


def test_scim_settings_that_differ_from_config_fail(tmp_path: Path) -> None:
    tenant = FakeTenant(idp_overrides={"scim_config.identity_update_behavior": "automatic"})
    result = run_verify(tmp_path, tenant=tenant)
    assert result.reason("cloudflare.login-method.scim") == (
        "identity_update_behavior is automatic, configured reauth; redeploy"
    )


def test_fewer_groups_received_than_assigned_warns(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(scim_groups=1))
    assert result.status("cloudflare.scim.received") == "warns"
    assert result.code == 0


def test_an_access_group_whose_entra_group_was_changed_fails_naming_both(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(access_group_object_id=ADMINS_GROUP_ID))
    assert result.reason("cloudflare.access-group.Engineers") == (
        f"include azureAD id is {ADMINS_GROUP_ID}, the stack declares {USERS_GROUP_ID}; run 'make up STACK=dev'"
    )
    assert result.code == 1


@pytest.mark.parametrize(
    ("added", "named"),
    [
        ({"include": [{"everyone": {}}]}, "include everyone: {} is not declared"),
        (
            {"include": [{"email": {"email": "someone@example.test"}}]},
            'include email: {"email": "someone@example.test"} is not declared',
        ),
        ({"require": [{"ip": {"ip": "198.51.100.0/24"}}]}, 'require ip: {"ip": "198.51.100.0/24"} is not declared'),
        (
            {"exclude": [{"email_domain": {"domain": "example.test"}}]},
            'exclude email_domain: {"domain": "example.test"} is not declared',
        ),
    ],
)
def test_an_access_group_rule_added_by_hand_fails_naming_it(
    tmp_path: Path, added: dict[str, list[dict[str, Any]]], named: str
) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(access_group_added=added))
    assert result.status("cloudflare.access-group.Engineers") == "fails"
    assert result.reason("cloudflare.access-group.Engineers") == f"{named}; run 'make up STACK=dev'"
    assert result.code == 1


def test_an_access_group_without_an_entra_rule_names_the_missing_one() -> None:
    rules = access_rule_differences(
        {"include": [{"everyone": {}}]}, {"id": USERS_GROUP_ID, "identity_provider_id": "idp"}
    )
    assert rules == [
        f'include azureAD: {{"id": "{USERS_GROUP_ID}", "identity_provider_id": "idp"}} is missing',
        "include everyone: {} is not declared",
    ]


def test_an_access_group_on_another_login_method_names_it() -> None:
    group = {"include": [{"azureAD": {"id": USERS_GROUP_ID, "identity_provider_id": "other-idp"}}]}
    assert access_rule_differences(group, {"id": USERS_GROUP_ID, "identity_provider_id": "idp"}) == [
        "include azureAD identity_provider_id is other-idp, the stack declares idp"
    ]


def test_a_cloudflare_token_without_read_permission_is_named(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(cloudflare_can_read=False))
    assert "'Access: Organizations, Identity Providers, and Groups Read'" in result.reason("cloudflare.login-method")
    assert result.status("entra.login-app.redirect-uri") == "holds"


def test_a_wrong_cloudflare_token_gets_401(tmp_path: Path) -> None:
    result = run_verify(tmp_path, env={"CLOUDFLARE_API_TOKEN": "not-the-token"})
    assert "Cloudflare refused the credentials (401)" in result.reason(f"cloudflare.access-group.{'Engineers'}")
    assert ACCESS_GROUP_ID in result.reason("cloudflare.access-group.Engineers")


# --- could not run: exit 2 ------------------------------------------------------------------------


def test_missing_credentials_and_cli_are_all_named_with_exit_2(tmp_path: Path) -> None:
    result = run_verify(
        tmp_path, credential=None, env={"CLOUDFLARE_API_TOKEN": "", "PATH": "/nonexistent"}, json_output=False
    )
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "Cannot verify stack dev:"
    assert "CLOUDFLARE_API_TOKEN: a Cloudflare API token" in result.stderr
    assert "az login --allow-no-subscriptions" in result.stderr
    assert "the Pulumi CLI is not on PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_undeployed_stack_exits_2_saying_how_to_deploy(tmp_path: Path) -> None:
    result = run_verify(tmp_path, deployed=False, json_output=False)
    assert result.code == 2
    assert "stack dev does not exist on the backend" in result.stderr
    assert "make up STACK=dev" in result.stderr
    assert result.tenant.requests == []


def test_a_stack_with_no_outputs_exits_2(tmp_path: Path) -> None:
    result = run_verify(tmp_path, outputs={})
    assert result.code == 2
    assert json.loads(result.stdout)["problems"] == [
        "stack dev has no outputs: deploy it first with 'make up STACK=dev'"
    ]


def test_an_unknown_stack_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    write_project(tmp_path)
    stderr = io.StringIO()
    runtime = Runtime(environ={"PATH": "/nonexistent"}, credential=FakeCredential(), root=tmp_path)
    code = main(["--stack", "qa"], runtime, io.StringIO(), stderr)
    assert code == 2
    assert "there is no stack file stacks/Pulumi.qa.yaml (stack files found for: dev)" in stderr.getvalue()


def test_a_failed_entra_sign_in_exits_2(tmp_path: Path) -> None:
    failing = FakeCredential(error=RuntimeError("Please run 'az login' to set up an account"))
    result = run_verify(tmp_path, credential=failing, json_output=False)
    assert result.code == 2
    assert "Entra sign-in failed: Please run 'az login' to set up an account" in result.stderr


def test_the_module_runs_on_its_own_and_fails_readably_without_credentials(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "ops.verify", "--stack", "dev"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("Cannot verify stack dev:")
    assert "Traceback" not in completed.stderr


# --- reading the stack ----------------------------------------------------------------------------


def test_an_encrypted_secret_in_the_export_is_refused() -> None:
    encrypted = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
    try:
        client_secret_from_export("dev", stack_export(secret=encrypted))
    except StackError as error:
        assert "holds no readable client secret" in str(error)
    else:
        raise AssertionError("an encrypted secret was accepted")


def test_every_secret_in_the_export_is_known_and_encrypted_ones_are_not_read() -> None:
    export = stack_export()
    assert secret_values_from_export(export) == [CLIENT_SECRET, SCIM_SECRET]
    encrypted = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
    assert secret_values_from_export(stack_export(secret=encrypted)) == [SCIM_SECRET]


def test_a_backend_error_the_cli_prints_is_scrubbed_then_shortened(tmp_path: Path) -> None:
    sas = "sv=2024-11-04&sig=c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ%3D%3D"
    padding = "x" * 300
    url = f"https://acct.blob.core.windows.net/state/.pulumi/stacks/dev.json?{sas}"
    cli = tmp_path / "pulumi"
    cli.write_text(f"#!/bin/sh\necho 'error: GET {url} {padding}: 403' >&2\necho 'second line' >&2\nexit 1\n")
    cli.chmod(0o755)
    environ = {
        "PATH": f"{tmp_path}:/usr/bin:/bin",
        "PULUMI_BACKEND_URL": "azblob://state",
        "AZURE_STORAGE_SAS_TOKEN": sas,
    }
    with pytest.raises(StackError) as raised:
        asyncio.run(read_stack("dev", environ, tmp_path))
    message = str(raised.value)
    assert "sig=" not in message and "second line" not in message and message.endswith("...")
    assert "failed on the backend azblob://state: error: GET https://acct.blob.core.windows.net/" in message


def test_the_job_path_is_kept_whole() -> None:
    outputs = StackOutputs.from_json("dev", stack_outputs())
    assert outputs.scim_job_path == stack_outputs()["scimProvisioningJobId"]
    assert outputs.client_secret_expires_at == EXPIRES_AT


def test_docs_name_every_permission_verify_asks_for() -> None:
    docs = (ROOT / "docs" / "verify.md").read_text()
    for permission in permissions.VERIFY:
        assert permission.name in docs
    assert "make verify STACK=<stack>" in docs
    assert "venv/bin/python -m ops.verify --stack <stack>" in docs
    assert os.path.exists(ROOT / "ops" / "verify.py")


def test_an_unexpected_error_is_one_line_without_a_traceback(monkeypatch: Any) -> None:
    import ops.verify

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("response field with 'super-secret-value'")

    monkeypatch.setattr(ops.verify, "verify", broken)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--stack", "dev"], runtime=Runtime(environ={}), stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue() == (
        "dev: verify stopped on an unexpected KeyError; this is a bug. "
        "Run it again with ENTRA_CF_DEBUG=1 to see where.\n"
    )
    assert "super-secret-value" not in out.getvalue() + err.getvalue()


# --- network and TLS: reported as what they are, never as a verdict -------------------------------


def test_a_host_that_does_not_resolve_is_named_once_and_its_checks_are_not_judged(tmp_path: Path) -> None:
    dns = httpx.ConnectError("[Errno -2] Name or service not known")
    result = run_verify(tmp_path, tenant=FakeTenant(unreachable={"graph.microsoft.com": dns}))
    report = json.loads(result.stdout)
    assert report["unreachable"] == [
        "cannot reach graph.microsoft.com: its name does not resolve (DNS) ([Errno -2] Name or service not known)"
    ]
    assert result.code == 2
    assert report["summary"]["fails"] == 0
    assert result.reason("entra.login-app.redirect-uri") == "not checked: cannot reach graph.microsoft.com"
    assert result.status("entra.client-secret.sign-in") == "holds"  # the login host answers
    assert result.status("cloudflare.login-method") == "holds"
    assert result.sleeps == []  # a name that does not resolve is not retried


def test_a_refused_connection_to_the_token_endpoint_is_no_verdict_on_the_secret(tmp_path: Path) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    tenant = FakeTenant(unreachable={"login.microsoftonline.com": refused})
    result = run_verify(tmp_path, tenant=tenant, json_output=False)
    assert result.code == 2
    assert "Entra refused" not in result.stdout and "rotate-now" not in result.stdout
    line = next(line for line in result.stdout.splitlines() if "Client secret works" in line)
    assert line.split()[0] == "skipped"
    assert line.endswith("not checked: cannot reach login.microsoftonline.com")
    assert "  cannot reach login.microsoftonline.com: the connection failed (connection refused, 3 attempts)" in (
        result.stdout.splitlines()
    )
    assert result.stdout.splitlines()[-1] == (
        "19 checks: 18 hold, 0 warn, 0 fail, 1 skipped (some checks could not be made)"
    )
    assert sum(1 for r in tenant.requests if r.url.host == "login.microsoftonline.com") == 3  # bounded retries


def test_a_check_that_fails_outranks_an_unreachable_host_in_the_exit_code(tmp_path: Path) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    tenant = FakeTenant(unreachable={"login.microsoftonline.com": refused}, redirect_uris=[])
    assert run_verify(tmp_path, tenant=tenant).code == 1


# --- a login URL that is not Microsoft's, and a corporate CA: against a real local HTTPS server ----

DEPLOYER_ID = "de000000-0000-4000-8000-0000000000de"
DEPLOYER_SECRET = "FAKE~deployer-secret-0123456789"


@pytest.fixture
def entra_login(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEntraLogin]:
    """The local Entra login server; Entra's real login host resolves to it too, so MSAL's instance
    discovery (always sent to login.microsoftonline.com) gets Entra's answer from it."""
    fake = FakeEntraLogin(clients={DEPLOYER_ID: DEPLOYER_SECRET, CLIENT_ID: CLIENT_SECRET})
    with serve(certificates, fake):
        monkeypatch.setattr(
            socket, "getaddrinfo", route_to_loopback(fake.port, frozenset({"login.microsoftonline.com"}))
        )
        yield fake


def _signing_in_through(login_url: str, ca_file: Path | None) -> dict[str, str]:
    env = {
        "ARM_CLIENT_ID": DEPLOYER_ID,
        "ARM_TENANT_ID": TENANT_ID,
        "ARM_CLIENT_SECRET": DEPLOYER_SECRET,
        "ENTRA_CF_LOGIN_URL": login_url,
    }
    return env | ({"ENTRA_CF_CA_BUNDLE": str(ca_file)} if ca_file else {})


def test_the_local_entra_refuses_instance_discovery_for_an_authority_it_does_not_know(
    entra_login: FakeEntraLogin, certificates: Certificates
) -> None:
    # What happens without `disable_instance_discovery`: the fake answers as Entra does.
    credential = ClientSecretCredential(
        TENANT_ID,
        DEPLOYER_ID,
        DEPLOYER_SECRET,
        authority=f"https://127.0.0.1:{entra_login.port}",
        connection_verify=str(certificates.ca_file),
    )
    with pytest.raises(Exception, match="is not well-known"):
        credential.get_token("https://graph.microsoft.com/.default")
    assert entra_login.count("/common/discovery/instance") == 1
    assert entra_login.count("/oauth2/v2.0/token") == 0


def test_an_overridden_login_url_signs_in_without_instance_discovery(
    tmp_path: Path, entra_login: FakeEntraLogin, certificates: Certificates
) -> None:
    login_url = f"https://127.0.0.1:{entra_login.port}"
    result = run_verify(
        tmp_path,
        tenant=FakeTenant(graph_token=ISSUED_TOKEN),
        credential=None,
        env=_signing_in_through(login_url, certificates.ca_file),
        pass_through_host="127.0.0.1",
    )
    assert result.code == 0, result.stdout + result.stderr
    assert entra_login.count("/common/discovery/instance") == 0
    assert entra_login.count(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration") >= 1
    # Two token requests reached the local server: the deployer's sign-in (azure-identity, trusting
    # the CA through connection_verify) and the login app's check (httpx, through verify=).
    assert entra_login.count(f"/{TENANT_ID}/oauth2/v2.0/token") == 2
    assert result.status("entra.client-secret.sign-in") == "holds"
    assert ISSUED_TOKEN not in result.stdout + result.stderr


def test_a_certificate_that_is_not_trusted_is_named_with_its_host_and_not_retried(
    tmp_path: Path, entra_login: FakeEntraLogin
) -> None:
    login_url = f"https://127.0.0.1:{entra_login.port}"
    result = run_verify(tmp_path, env={"ENTRA_CF_LOGIN_URL": login_url}, pass_through_host="127.0.0.1")
    assert result.code == 2
    assert result.status("entra.client-secret.sign-in") == "skipped"
    assert result.reason("entra.client-secret.sign-in") == f"not checked: cannot reach 127.0.0.1:{entra_login.port}"
    (problem,) = json.loads(result.stdout)["unreachable"]
    assert problem.startswith(f"cannot reach 127.0.0.1:{entra_login.port}: its TLS certificate is not trusted (")
    assert "set ENTRA_CF_CA_BUNDLE to its CA bundle" in problem
    assert result.sleeps == []  # tried once: a certificate does not get better by retrying
    assert entra_login.requests == []  # no request got past the handshake


def test_a_ca_bundle_that_is_not_a_file_is_refused_naming_the_variable(tmp_path: Path) -> None:
    result = run_verify(tmp_path, env={"ENTRA_CF_CA_BUNDLE": str(tmp_path / "missing.pem")}, json_output=False)
    assert result.code == 2
    assert f"ENTRA_CF_CA_BUNDLE='{tmp_path / 'missing.pem'}' is not a file: expected the path of a PEM file" in (
        result.stderr
    )


def test_a_refused_sign_in_through_an_overridden_login_url_does_not_say_az_login(tmp_path: Path) -> None:
    refused = ValueError("The authority provided, https://login.proxy.example.test, is not well-known.")
    result = run_verify(
        tmp_path,
        credential=FakeCredential(error=refused),
        # A service principal: the Azure CLI never goes through the overridden URL.
        env={
            "ENTRA_CF_LOGIN_URL": "https://login.proxy.example.test",
            "ARM_CLIENT_ID": "11111111-1111-4111-8111-111111111111",
            "ARM_TENANT_ID": "22222222-2222-4222-8222-222222222222",
            "ARM_CLIENT_SECRET": "a-client-secret-value",
        },
        json_output=False,
    )
    assert result.code == 2
    assert "az login" not in result.stderr
    assert (
        "check that ENTRA_CF_LOGIN_URL=https://login.proxy.example.test answers as Entra's login endpoint"
        in result.stderr
    )


def test_a_sign_in_that_cannot_verify_the_certificate_names_the_host_not_az_login(tmp_path: Path) -> None:
    # azure-identity's text for this failure, as it raised it against the local server.
    error = RuntimeError(
        "Authentication failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "unable to get local issuer certificate (_ssl.c:1006)"
    )
    result = run_verify(tmp_path, credential=FakeCredential(error=error), json_output=False)
    assert result.code == 2
    assert "Entra sign-in failed: cannot reach login.microsoftonline.com: its TLS certificate is not trusted" in (
        result.stderr
    )
    assert "az login" not in result.stderr


# --- secrets: scrubbed first, then shortened --------------------------------------------------------


def test_a_sign_in_error_that_quotes_secrets_is_scrubbed(tmp_path: Path) -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZXBsb3llciJ9.c2lnbmF0dXJlLXZhbHVl"
    error = RuntimeError(f"AADSTS7000215: Invalid client secret provided: {DEPLOYER_SECRET}; assertion {jwt}")
    result = run_verify(
        tmp_path,
        credential=FakeCredential(error=error),
        env={"ARM_CLIENT_SECRET": DEPLOYER_SECRET},
        json_output=False,
    )
    assert result.code == 2
    assert DEPLOYER_SECRET not in result.stderr and jwt not in result.stderr
    assert "Entra sign-in failed: AADSTS7000215: Invalid client secret provided: ***; assertion ***" in result.stderr


def test_a_refused_sign_in_that_echoes_the_secret_is_scrubbed_and_azure_identity_logs_nothing(
    tmp_path: Path, entra_login: FakeEntraLogin, certificates: Certificates
) -> None:
    entra_login.clients[DEPLOYER_ID] = "another-secret"
    entra_login.echo_form = True
    env = _signing_in_through(f"https://127.0.0.1:{entra_login.port}", certificates.ca_file)
    printed = io.StringIO()  # what a handler on the root logger (or Python's last resort) would print
    printer = logging.StreamHandler(printed)
    logging.getLogger().addHandler(printer)
    try:
        result = run_verify(tmp_path, credential=None, env=env, json_output=False, pass_through_host="127.0.0.1")
    finally:
        logging.getLogger().removeHandler(printer)
    assert result.code == 2
    assert "Entra sign-in failed: Authentication failed: AADSTS7000215: Invalid client secret provided." in (
        result.stderr
    )
    assert "client_secret=***" in result.stderr
    assert DEPLOYER_SECRET not in result.stderr and DEPLOYER_SECRET.replace("~", "%7E") not in result.stderr
    # azure-identity's own warning quotes the refusal unscrubbed: it must not reach a handler that prints.
    assert printed.getvalue() == ""


@pytest.mark.parametrize(
    ("echoed", "shown"),
    [
        # The stack's client secret straddles the cut (297 characters and "...").
        ("x" * 290 + f"{CLIENT_SECRET} and more", "x" * 290 + "*** and..."),
        # A token Entra issued (shaped like a JWT, a value verify never knew) straddles it.
        ("x" * 280 + " eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl and more", "x" * 280 + " *** and more"),
        # A bearer token inside the cut, long text after it.
        ("x" * 200 + " Authorization: Bearer abcdef0123456789abcdef " + "y" * 200, None),
    ],
)
def test_a_job_error_that_echoes_secrets_is_scrubbed_before_it_is_shortened(
    tmp_path: Path, echoed: str, shown: str | None
) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(last_state="Failed", last_error=echoed))
    reason = result.reason("entra.scim.last-run")
    message = reason.split("steady state last reached 2026-03-15T11:20:00Z: ", 1)[1]
    assert len(message) <= 300
    if shown is not None:
        assert message == shown
    for piece in (CLIENT_SECRET[:6], "eyJ0eXAi", "abcdef0123"):
        assert piece not in reason


def test_a_graph_error_that_echoes_the_scim_secret_across_the_cut_is_scrubbed(tmp_path: Path) -> None:
    # Graph's message is 129 characters; the SCIM secret (from the stack's state) starts at 292,
    # across the cut at 297.
    echo = " " + "e" * 150 + f"SecretToken {SCIM_SECRET} was sent"
    result = run_verify(tmp_path, tenant=FakeTenant(scim_token_valid=False, validate_echo=echo))
    reason = result.reason("entra.scim.test-connection")
    assert reason.endswith("e" * 150 + "SecretToken *** w...")
    assert SCIM_SECRET[:5] not in reason
