"""End-to-end against a real Entra tenant and Cloudflare account: deploy, redeploy with no
change, destroy. Skipped (with the reason) unless credentials and a test account are provided:

    ENTRA_CF_IT_ACCOUNT_ID   Cloudflare account ID to deploy into (a test account)
    ENTRA_CF_IT_GROUP        an Entra group (display name or object ID) allowed to sign in
    CLOUDFLARE_API_TOKEN     token with the permissions in README, Prerequisites
    ARM_TENANT_ID + ARM_CLIENT_ID (+ ARM_USE_OIDC / ARM_CLIENT_SECRET), or an `az login` session

plus the Pulumi CLI on PATH. It uses a throw-away stack in a temporary local backend, and removes
the stack file it creates under stacks/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ACCOUNT_ID, ROOT

from config.settings import load_settings


def _missing() -> list[str]:
    missing = [
        name
        for name in ("ENTRA_CF_IT_ACCOUNT_ID", "ENTRA_CF_IT_GROUP", "CLOUDFLARE_API_TOKEN")
        if not os.environ.get(name)
    ]
    if shutil.which("pulumi") is None:
        missing.append("the Pulumi CLI")
    if not os.environ.get("ARM_CLIENT_ID") and shutil.which("az") is None:
        missing.append("Entra credentials (ARM_CLIENT_ID or the Azure CLI)")
    return missing


needs_cloud = pytest.mark.skipif(bool(_missing()), reason="real-cloud test; missing: " + ", ".join(_missing()))


def stack_config(account_id: str, group: str) -> dict[str, str]:
    """What the throw-away stack sets, as `pulumi config set --path` keys and values. Protection is
    off, as in dev: `protect` defaults to true, and `pulumi destroy` refuses protected resources."""
    return {"cloudflareAccountId": account_id, "signInGroups[0]": group, "protect": "false"}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    name = f"it-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path}",
        "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    pulumi(env, "stack", "init", name)
    try:
        config = stack_config(os.environ["ENTRA_CF_IT_ACCOUNT_ID"], os.environ["ENTRA_CF_IT_GROUP"])
        for key, value in config.items():
            pulumi(env, "config", "set", "--path", f"entra-cloudflare:{key}", value, "--stack", name)
        yield name, env
    finally:
        destroyed = pulumi(env, "destroy", "--yes", "--stack", name, check=False)
        # Without `--force`, `stack rm` refuses while the stack still records objects, so a failed
        # destroy keeps its record of what is left.
        pulumi(env, "stack", "rm", "--yes", "--stack", name, check=False)
        (ROOT / "stacks" / f"Pulumi.{name}.yaml").unlink(missing_ok=True)
        if destroyed.returncode != 0:
            pytest.fail(destroy_failure(name, destroyed), pytrace=False)


def destroy_failure(stack: str, result: subprocess.CompletedProcess[str]) -> str:
    """Pulumi's own error lines (they hold no secret values): the reason the objects remain."""
    tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-20:])
    return (
        f"`pulumi destroy` of stack {stack} failed (exit {result.returncode}): the app registrations, "
        f"login method and Access groups it deployed may still exist in the tenant and account; "
        f"delete them by hand.\n{tail}"
    )


def pulumi(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pulumi", *args, "--non-interactive"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=1800,
    )


def test_the_throw_away_stack_is_unprotected_so_it_can_be_destroyed() -> None:
    config: dict[str, object] = dict(stack_config(ACCOUNT_ID, "Engineering"))
    config["signInGroups"] = [config.pop("signInGroups[0]")]
    assert load_settings(config, "it").protect is False


@needs_cloud
def test_deploy_redeploy_without_change_and_destroy(stack: tuple[str, dict[str, str]]) -> None:
    name, env = stack
    pulumi(env, "up", "--yes", "--skip-preview", "--stack", name)
    outputs = json.loads(pulumi(env, "stack", "output", "--json", "--stack", name).stdout)
    assert outputs["redirectUri"] == f"https://{outputs['teamDomain']}/cdn-cgi/access/callback"
    assert outputs["scimEndpoint"].startswith(f"https://{outputs['teamDomain']}/populations/")
    # A second run of the same commit must change nothing (no churn on redeploy).
    pulumi(env, "preview", "--expect-no-changes", "--stack", name)
