"""scripts/stack.sh (behind `make up`, `make preview`, `make rotate-now`), with a fake Pulumi CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "stack.sh"
SECRET_URN = (
    "urn:pulumi:dev::entra-cloudflare::entracf:sso:LoginApp$azuread:index/applicationPassword:"
    "ApplicationPassword::login-client-secret"
)


def fake_tools(tmp_path: Path, *, pulumi: bool = True, az_logged_in: bool = False) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    export = {
        "deployment": {
            "resources": [
                {"type": "azuread:index/application:Application", "urn": "urn:pulumi:dev::p::x::login-app"},
                {"type": "azuread:index/applicationPassword:ApplicationPassword", "urn": SECRET_URN},
            ]
        }
    }
    (tmp_path / "export.json").write_text(json.dumps(export))
    if pulumi:
        (bin_dir / "pulumi").write_text(
            "#!/bin/sh\n"
            f'echo "$*" >> "{tmp_path}/pulumi.log"\n'
            f'if [ "$1 $2" = "stack export" ]; then cat "{tmp_path}/export.json"; fi\n'
        )
    if az_logged_in:
        (bin_dir / "az").write_text("#!/bin/sh\nexit 0\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir


def run(tmp_path: Path, *args: str, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PULUMI_BACKEND_URL": f"file://{tmp_path}/state",
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=environment, timeout=30, check=False
    )


def test_without_cli_or_credentials_it_stops_at_once_naming_each_missing_piece(tmp_path: Path) -> None:
    result = run(tmp_path, "up", "dev", bin_dir=fake_tools(tmp_path, pulumi=False))
    assert result.returncode == 2
    assert "the Pulumi CLI: install it" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert "az login" in result.stderr
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr
    assert not (tmp_path / "state").exists()


def test_unknown_stack_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    result = run(tmp_path, "up", "qa", bin_dir=fake_tools(tmp_path))
    assert result.returncode == 2
    assert "no stack file stacks/Pulumi.qa.yaml (committed stacks: dev,prod)" in result.stderr


def test_service_principal_without_a_credential_is_refused(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "up",
        "dev",
        bin_dir=fake_tools(tmp_path),
        CLOUDFLARE_API_TOKEN="test-token",
        ARM_CLIENT_ID="00000000-0000-0000-0000-000000000001",
        PULUMI_CONFIG_PASSPHRASE="",
    )
    assert result.returncode == 2
    assert "ARM_USE_OIDC=true" in result.stderr


def test_up_selects_the_stack_on_the_local_backend_and_deploys_it(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "up",
        "dev",
        "--yes",
        bin_dir=fake_tools(tmp_path, az_logged_in=True),
        CLOUDFLARE_API_TOKEN="test-token",
        PULUMI_CONFIG_PASSPHRASE="",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pulumi.log").read_text().splitlines() == [
        "stack select --create --non-interactive dev",
        "up --policy-pack policy --stack dev --yes",
    ]
    assert (tmp_path / "state").is_dir()


def test_rotate_now_replaces_exactly_the_client_secret(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "rotate-now",
        "dev",
        bin_dir=fake_tools(tmp_path),
        CLOUDFLARE_API_TOKEN="test-token",
        ARM_CLIENT_ID="00000000-0000-0000-0000-000000000001",
        ARM_USE_OIDC="true",
        PULUMI_CONFIG_PASSPHRASE="",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pulumi.log").read_text().splitlines()[-1] == (
        f"up --policy-pack policy --stack dev --replace {SECRET_URN}"
    )


def test_prod_runs_the_policy_pack_with_its_strict_config(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "preview",
        "prod",
        bin_dir=fake_tools(tmp_path, az_logged_in=True),
        CLOUDFLARE_API_TOKEN="test-token",
        PULUMI_CONFIG_PASSPHRASE="",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pulumi.log").read_text().splitlines()[-1] == (
        "preview --policy-pack policy --policy-pack-config policy/prod-config.json --diff --stack prod"
    )


def test_makefile_quick_start_targets_call_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/stack.sh up $(STACK)" in makefile
    assert "scripts/stack.sh rotate-now $(STACK)" in makefile
    assert os.access(SCRIPT, os.X_OK)
