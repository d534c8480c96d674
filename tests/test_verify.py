"""ops/verify.py end to end against fake Graph, Cloudflare and Pulumi CLI: every check's pass and fail.

Every run goes through `run_verify`, which also asserts that no secret (client secret, Graph
token, Cloudflare token) appears on stdout or stderr.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import respx
from verify_fakes import (
    ACCESS_GROUP_ID,
    ADMINS_GROUP_ID,
    APP_OBJECT_ID,
    CLIENT_SECRET,
    CLOUDFLARE_TOKEN,
    EXPIRES_AT,
    GRAPH_TOKEN,
    KEY_ID,
    NOW,
    ROTATES_FROM,
    USERS_GROUP_ID,
    FakeCredential,
    FakeTenant,
    iso,
    stack_export,
    stack_outputs,
    write_project,
)

from ops import permissions
from ops.stack_outputs import StackError, StackOutputs, client_secret_from_export
from ops.verify import Runtime, main

ROOT = Path(__file__).resolve().parent.parent
SECRETS = (CLIENT_SECRET, GRAPH_TOKEN, CLOUDFLARE_TOKEN)
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
    assert json.loads(result.stdout)["summary"] == {"holds": 19, "warns": 0, "fails": 0}
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


def test_a_deleted_provisioning_job_fails_its_checks(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(job_exists=False))
    for check_id in ("entra.scim.job", "entra.scim.quarantine", "entra.scim.last-run"):
        assert result.status(check_id) == "fails"
        assert "404 NotFound" in result.reason(check_id)


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
    assert "--repair restarted the job" in result.reason("entra.scim.quarantine")
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


def test_a_missing_login_method_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(idp_exists=False))
    assert result.reason("cloudflare.login-method").startswith("no login method 1d000000-0000-4000-8000-0000000001d1")
    assert "access.api.error.not_found" in result.reason("cloudflare.login-method.settings")
    assert result.code == 1


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


def test_an_access_group_without_its_entra_group_fails(tmp_path: Path) -> None:
    result = run_verify(tmp_path, tenant=FakeTenant(access_group_object_id=ADMINS_GROUP_ID))
    assert result.reason("cloudflare.access-group.Engineers") == (
        f"does not include Entra group Cloudflare Users ({USERS_GROUP_ID}) on this login method; redeploy"
    )


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
    assert "there is no stack file stacks/Pulumi.qa.yaml (committed stacks: dev)" in stderr.getvalue()


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
