"""The whole program (__main__.py): the fixture stacks, no churn, rotation, bad config, contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pulumi
import pytest
from harness import (
    FIXED_NOW,
    EngineLikeMocks,
    ProgramRun,
    RecordingMonitor,
    fixture_stacks,
    is_secret,
    minimal_config,
    reveal,
    run_program,
    stack_file_config,
)

STACKS = fixture_stacks()
LONG_LIVED = ("login-app", "login-service-principal", "scim-app", "identity-provider-login-method")
REQUIRED_EXPORTS = {
    "tenantId",
    "loginAppClientId",
    "loginAppObjectId",
    "identityProviderId",
    "teamDomain",
    "redirectUri",
    "clientSecretExpiresAt",
    "clientSecretRotatesFrom",
    "azureGroupObjectIds",
}


def declared(run: ProgramRun) -> dict[str, Any]:
    """Every declared resource's inputs and options, by logical name: what a preview diffs."""
    return {
        r.name: {"type": r.type, "inputs": reveal(r.inputs), "protect": r.protect, "parent": r.parent}
        for r in run.registrations
    }


@pytest.mark.parametrize("stack", STACKS)
def test_stack_declares_the_complete_wiring(stack: str) -> None:
    run = run_program(stack_file_config(stack), stack=stack)
    names = {r.name for r in run.registrations}
    assert {
        "login-app",
        "login-service-principal",
        "login-consent-grant",
        "login-client-secret",
        "identity-provider-login-method",
        "scim-app",
        "scim-secret",
        "scim-job",
    } <= names
    assert set(run.exports) >= REQUIRED_EXPORTS
    assert {"scimEndpoint", "scimAppObjectId", "scimServicePrincipalObjectId", "scimProvisioningJobId"} <= set(
        run.exports
    )
    assert run.exports["redirectUri"] == f"https://{run.exports['teamDomain']}/cdn-cgi/access/callback"
    assert run.exports["clientSecretExpiresAt"] > FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_dev_stack_demonstrates_access_groups() -> None:
    run = run_program(stack_file_config("dev"), stack="dev")
    assert len(run.of_type("ZeroTrustAccessGroup")) >= 1
    assert set(run.exports["accessGroupIds"]) == set(stack_file_config("dev")["entra-cloudflare:accessGroups"])


def test_prod_protects_its_long_lived_identity_objects_but_not_the_rotating_secret() -> None:
    run = run_program(stack_file_config("prod"), stack="prod")
    assert {name: run.named(name).protect for name in LONG_LIVED} == dict.fromkeys(LONG_LIVED, True)
    assert run.named("login-client-secret").protect is False


def test_dev_protects_nothing() -> None:
    run = run_program(stack_file_config("dev"), stack="dev")
    assert [r.name for r in run.registrations if r.protect] == []


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_is_deleted_before_its_replacement_exists(stack: str) -> None:
    run = run_program(stack_file_config(stack), stack=stack)
    assert [r.name for r in run.registrations if r.delete_before_replace] == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_in_plain_outputs(stack: str) -> None:
    run = run_program(stack_file_config(stack), stack=stack)
    client_secret = reveal(run.named("login-client-secret").outputs["value"])
    scim_secret = reveal(run.named("identity-provider-login-method").outputs["scimConfig"])["secret"]
    rendered = repr(reveal(run.exports))
    assert client_secret not in rendered and scim_secret not in rendered


@pytest.mark.parametrize("stack", STACKS)
def test_two_runs_of_the_same_commit_declare_identical_inputs(stack: str) -> None:
    first = run_program(stack_file_config(stack), stack=stack)
    second = run_program(stack_file_config(stack), stack=stack, now=FIXED_NOW + timedelta(hours=1))
    assert declared(first) == declared(second)


def test_only_real_dependencies_between_resources() -> None:
    run = run_program(stack_file_config("dev"), stack="dev")
    by_urn = {r.urn: r.name for r in run.registrations}
    explicit = {r.name: sorted(by_urn.get(d, d) for d in r.dependencies) for r in run.registrations}
    # The job waits for its credentials and assignments; the login method for the login app's
    # client ID and secret; nothing waits on anything it does not use.
    assert explicit["scim-job"] == sorted(["scim-app", "scim-secret", "scim-assignment-cloudflare-access-dev-users"])
    assert explicit["identity-provider-login-method"] == ["login-app", "login-client-secret"]
    assert explicit["login-app"] == []
    assert explicit["scim-app"] == []


# --- rotation under a fixed clock ------------------------------------------------------------------


def test_two_times_in_one_window_declare_identical_secret_inputs() -> None:
    config = minimal_config(secretRotationDays=30, secretGraceDays=14)
    window_start = datetime(2026, 3, 21, tzinfo=UTC)  # 2024-01-01 + 27 * 30 days
    early = run_program(config, now=window_start)
    late = run_program(config, now=window_start + timedelta(days=30) - timedelta(seconds=1))
    assert declared(early) == declared(late)
    assert early.exports["clientSecretExpiresAt"] == "2026-05-04T00:00:00Z"
    assert early.exports["clientSecretRotatesFrom"] == "2026-04-20T00:00:00Z"


def test_a_new_window_replaces_only_the_secret_and_updates_cloudflare() -> None:
    config = minimal_config(secretRotationDays=30, secretGraceDays=14)
    before = run_program(config, now=datetime(2026, 4, 19, 23, 59, 59, tzinfo=UTC))
    after = run_program(config, now=datetime(2026, 4, 20, tzinfo=UTC))
    old, new = declared(before), declared(after)
    changed = sorted(name for name in old if old[name] != new[name])
    assert changed == ["identity-provider-login-method", "login-client-secret"]
    assert (
        old["login-client-secret"]["inputs"]["rotateWhenChanged"]
        != new["login-client-secret"]["inputs"]["rotateWhenChanged"]
    )
    new_value = reveal(after.named("login-client-secret").outputs["value"])
    assert new_value != reveal(before.named("login-client-secret").outputs["value"])
    assert new["identity-provider-login-method"]["inputs"]["config"]["clientSecret"] == new_value
    idp_old = {
        k: v for k, v in old["identity-provider-login-method"]["inputs"]["config"].items() if k != "clientSecret"
    }
    idp_new = {
        k: v for k, v in new["identity-provider-login-method"]["inputs"]["config"].items() if k != "clientSecret"
    }
    assert idp_old == idp_new


@pytest.mark.parametrize("days", [1, 30, 90, 365, 700])
@pytest.mark.parametrize("now", [datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 2, 29, 18, tzinfo=UTC)])
def test_end_date_is_in_the_future_and_within_limits(days: int, now: datetime) -> None:
    config = minimal_config(secretRotationDays=days, secretGraceDays=30, production=False)
    run = run_program(config, now=now)
    end = datetime.strptime(run.named("login-client-secret").inputs["endDate"], "%Y-%m-%dT%H:%M:%S%z")
    assert now < end <= now + timedelta(days=days + 30)
    assert end - now <= timedelta(days=730)


# --- bad config touches nothing ----------------------------------------------------------------


def test_bad_config_fails_before_any_resource_is_declared() -> None:
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)
    # A RunError: Pulumi prints its message alone, not a Python traceback.
    with pytest.raises(pulumi.RunError) as caught:
        run_program(minimal_config(cloudflareAccountId="not-an-account", prompt="always"), mocks=mocks, monitor=monitor)
    message = str(caught.value)
    assert message.startswith("Stack dev: invalid stack configuration (2 problem(s)):")
    assert "- cloudflareAccountId: got 'not-an-account'" in message and "- prompt: got 'always'" in message
    assert monitor.registrations == {}
    assert mocks.calls == {}


def stack_file_written_as(monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]) -> None:
    """Have run_program's stack file changed by `change` after it is written."""
    import harness

    write = harness.write_stack_file

    def write_then_change(root: Path, stack: str, config: dict[str, Any]) -> Path:
        path = write(root, stack, config)
        change(path)
        return path

    monkeypatch.setattr(harness, "write_stack_file", write_then_change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda path: path.with_suffix(".yml").write_text(path.read_text()), "two stack files"),
        (lambda path: path.write_text("config: [\n"), "cannot be read as YAML"),
    ],
    ids=["doubled", "unreadable"],
)
def test_a_bad_stack_file_fails_the_program_before_any_resource_is_declared(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None], message: str
) -> None:
    stack_file_written_as(monkeypatch, change)
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)
    with pytest.raises(pulumi.RunError, match=f"^Stack dev: .*{message}"):
        run_program(minimal_config(), mocks=mocks, monitor=monitor)
    assert monitor.registrations == {}
    assert mocks.calls == {}


def test_without_a_stack_file_the_program_reads_the_engine_config(monkeypatch: pytest.MonkeyPatch) -> None:
    stack_file_written_as(monkeypatch, Path.unlink)
    run = run_program(minimal_config(teamName="from-engine"))
    assert run.exports["teamDomain"] == "from-engine.cloudflareaccess.com"


def test_client_secret_value_is_secret_in_state() -> None:
    run = run_program(minimal_config())
    assert is_secret(run.named("login-client-secret").outputs["value"])


def test_a_stack_without_groups_exports_an_empty_group_map() -> None:
    run = run_program(minimal_config(signInGroups=[], assignmentRequired=False, scim={"enabled": False}))
    assert run.exports["azureGroupObjectIds"] == {}
    assert run.of_type("AppRoleAssignment") == []


def test_a_secret_lifetime_over_twelve_months_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    run_program(minimal_config(secretRotationDays=350, secretGraceDays=30, production=False))
    assert warned == [
        "secretRotationDays + secretGraceDays = 380 days: a client secret may live longer than 365 days, "
        "against Microsoft's advice to stay under 12 months"
    ]
