"""scripts/stack.sh (behind `make up`, `preview`, `rotate-now`, `verify`, `adopt`), with fake tools.

The fakes: `pulumi` (reports the pinned version, logs everything else), `make` (logs, and says the
policy venv is out of date), and the venv's interpreter (VENV_PYTHON), which logs its arguments,
passes or fails scripts/check_stack.py on request, and runs everything else with the real one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ACCOUNT_ID, FIXTURES, minimal_config, write_stack_file

from scripts import check_stack as check_stack_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "stack.sh"
VERSION = (ROOT / ".pulumi.version").read_text().strip()
SECRET_URN = (
    "urn:pulumi:dev::entra-cloudflare::entracf:sso:LoginApp$azuread:index/applicationPassword:"
    "ApplicationPassword::login-client-secret"
)
PLACEHOLDER_MESSAGE = "entra-cloudflare:cloudflareAccountId still holds the example value"
CHECK_DEV = "scripts/check_stack.py --print-secrets-provider -- dev"
SERVICE_PRINCIPAL = {"ARM_CLIENT_ID": "00000000-0000-0000-0000-000000000001", "ARM_USE_OIDC": "true"}


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def fake_pulumi(path: Path, log: Path, export: Path) -> None:
    executable(
        path,
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo v{VERSION}; exit 0; fi\n'
        f'echo "$*" >> "{log}"\n'
        f'if [ "$1 $2" = "stack export" ]; then cat "{export}"; fi\n',
    )


def fake_tools(tmp_path: Path, *, pulumi: bool = True, az_logged_in: bool = False, check_fails: bool = False) -> Path:
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
        fake_pulumi(bin_dir / "pulumi", tmp_path / "pulumi.log", tmp_path / "export.json")
    if az_logged_in:
        executable(bin_dir / "az", "#!/bin/sh\nexit 0\n")
    executable(
        bin_dir / "make",
        f'#!/bin/sh\necho "$*" >> "{tmp_path}/make.log"\nif [ "$1" = -q ]; then exit 1; fi\n',
    )
    check = f'echo "{PLACEHOLDER_MESSAGE}" >&2; exit 2' if check_fails else "exit 0"
    executable(
        tmp_path / "python",
        "#!/bin/sh\n"
        f'echo "$*" >> "{tmp_path}/python.log"\n'
        f'if [ "$1" = scripts/check_stack.py ]; then {check}; fi\n'
        f'if [ "$1" = -m ]; then echo "pulumi=$(command -v pulumi)" >> "{tmp_path}/python.log"; exit 0; fi\n'
        f'exec "{sys.executable}" "$@"\n',
    )
    return bin_dir


def run(tmp_path: Path, *args: str, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PULUMI_BACKEND_URL": f"file://{tmp_path}/state",
        "VENV_PYTHON": str(tmp_path / "python"),
        "PULUMI_CLI_DIR": str(tmp_path / "cli"),
        # Nothing listens there: a test that reaches for a download fails at once, offline.
        "PULUMI_RELEASES_URL": "http://127.0.0.1:9",
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=environment, timeout=30, check=False
    )


def log(tmp_path: Path, tool: str) -> list[str]:
    path = tmp_path / f"{tool}.log"
    return path.read_text().splitlines() if path.exists() else []


def test_placeholders_stop_it_before_any_credential_check_download_or_build(tmp_path: Path) -> None:
    result = run(tmp_path, "up", "dev", bin_dir=fake_tools(tmp_path, pulumi=False, check_fails=True))
    assert result.returncode == 2
    assert PLACEHOLDER_MESSAGE in result.stderr
    assert "CLOUDFLARE_API_TOKEN" not in result.stderr
    assert log(tmp_path, "python") == [CHECK_DEV]
    assert log(tmp_path, "make") == []
    assert not (tmp_path / "cli").exists()
    assert not (tmp_path / "state").exists()


def test_without_credentials_it_stops_naming_each_one_before_fetching_the_cli(tmp_path: Path) -> None:
    result = run(tmp_path, "up", "dev", bin_dir=fake_tools(tmp_path, pulumi=False))
    assert result.returncode == 2
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert "az login" in result.stderr
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr
    assert log(tmp_path, "python") == [CHECK_DEV]
    assert log(tmp_path, "make") == []
    assert not (tmp_path / "state").exists()


def test_unknown_stack_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    project = project_with_stack_file(tmp_path, "Pulumi.dev.yaml", VALID_CONFIG)
    result = run_copy(tmp_path, project, "up", "qa")
    assert result.returncode == 2
    assert "no stack file stacks/Pulumi.qa.yaml (committed stacks: dev)" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" not in result.stderr
    assert not (tmp_path / "pulumi.log").exists() and not (tmp_path / "make.log").exists()


def project_with_stack_file(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of what scripts/stack.sh runs on, with `stacks/<name>` its only stack file (and the fake
    tools, an Entra sign-in included)."""
    fake_tools(tmp_path, az_logged_in=True)
    project = tmp_path / "project"
    for package in ("config", "components"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "scripts").mkdir()
    for script in ("stack.sh", "check_stack.py", "pulumi_cli.py"):
        shutil.copy2(ROOT / "scripts" / script, project / "scripts" / script)
    shutil.copy2(ROOT / ".pulumi.version", project)
    (project / "stacks").mkdir()
    (project / "stacks" / name).write_text(text)
    return project


def run_copy(tmp_path: Path, project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PULUMI_BACKEND_URL": f"file://{tmp_path}/state",
        "VENV_PYTHON": sys.executable,
        "CLOUDFLARE_API_TOKEN": "test-token",
        **env,
    }
    return subprocess.run(
        ["bash", str(project / "scripts" / "stack.sh"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
        check=False,
    )


VALID_CONFIG = (
    "config:\n"
    "  entra-cloudflare:cloudflareAccountId: 0123456789abcdef0123456789abcdef\n"
    "  entra-cloudflare:teamName: acme-test\n"
    "  entra-cloudflare:signInGroups: [Engineering]\n"
)


def test_a_yml_only_stack_is_found_by_the_one_rule(tmp_path: Path) -> None:
    project = project_with_stack_file(tmp_path, "Pulumi.qa.eu.yml", VALID_CONFIG)
    result = run_copy(tmp_path, project, "preview", "qa.eu", PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 0, result.stderr
    assert log(tmp_path, "pulumi")[-1] == "preview --policy-pack policy --diff --stack qa.eu"


def test_a_secrets_provider_in_a_yml_stack_file_means_no_passphrase_is_needed(tmp_path: Path) -> None:
    project = project_with_stack_file(tmp_path, "Pulumi.qa.yml", VALID_CONFIG)
    without = run_copy(tmp_path, project, "preview", "qa")
    assert without.returncode == 2
    assert "PULUMI_CONFIG_PASSPHRASE" in without.stderr

    (project / "stacks" / "Pulumi.qa.yml").write_text("secretsprovider: awskms://alias/entra-cf\n" + VALID_CONFIG)
    result = run_copy(tmp_path, project, "preview", "qa")
    assert result.returncode == 0, result.stderr
    assert log(tmp_path, "pulumi")[-1] == "preview --policy-pack policy --diff --stack qa"


def test_the_passphrase_secrets_provider_still_needs_the_passphrase(tmp_path: Path) -> None:
    project = project_with_stack_file(tmp_path, "Pulumi.qa.yaml", "secretsprovider: passphrase\n" + VALID_CONFIG)
    result = run_copy(tmp_path, project, "preview", "qa")
    assert result.returncode == 2
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr


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


def test_a_cli_that_cannot_be_provided_stops_it_before_the_policy_venv_is_built(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "up",
        "dev",
        bin_dir=fake_tools(tmp_path, pulumi=False),
        CLOUDFLARE_API_TOKEN="test-token",
        PULUMI_CONFIG_PASSPHRASE="",
        **SERVICE_PRINCIPAL,
    )
    assert result.returncode == 2
    assert "Cannot provide Pulumi CLI: cannot reach http://127.0.0.1:9/" in result.stderr
    assert log(tmp_path, "make") == []
    assert not (tmp_path / "state").exists()


def test_up_checks_then_builds_the_policy_venv_then_deploys_on_the_local_backend(tmp_path: Path) -> None:
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
    assert log(tmp_path, "python") == [CHECK_DEV, "scripts/pulumi_cli.py"]
    assert log(tmp_path, "make") == ["-q policy-install", "-s policy-install"]
    assert log(tmp_path, "pulumi") == [
        "stack select --create --non-interactive dev",
        "up --policy-pack policy --stack dev --yes",
    ]
    assert (tmp_path / "state").is_dir()


def test_the_pinned_cli_installed_in_the_checkout_is_put_first_on_path(tmp_path: Path) -> None:
    bin_dir = fake_tools(tmp_path, pulumi=False)
    fake_pulumi(tmp_path / "cli" / VERSION / "pulumi" / "pulumi", tmp_path / "pulumi.log", tmp_path / "export.json")
    result = run(
        tmp_path,
        "preview",
        "dev",
        bin_dir=bin_dir,
        CLOUDFLARE_API_TOKEN="t",
        PULUMI_CONFIG_PASSPHRASE="",
        **SERVICE_PRINCIPAL,
    )
    assert result.returncode == 0, result.stderr
    assert log(tmp_path, "pulumi")[-1] == "preview --policy-pack policy --diff --stack dev"


def test_rotate_now_replaces_exactly_the_client_secret(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "rotate-now",
        "dev",
        bin_dir=fake_tools(tmp_path),
        CLOUDFLARE_API_TOKEN="test-token",
        PULUMI_CONFIG_PASSPHRASE="",
        **SERVICE_PRINCIPAL,
    )
    assert result.returncode == 0, result.stderr
    assert log(tmp_path, "pulumi")[-1] == f"up --policy-pack policy --stack dev --replace {SECRET_URN}"


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
    assert log(tmp_path, "pulumi")[-1] == (
        "preview --policy-pack policy --policy-pack-config policy/prod-config.json --diff --stack prod"
    )


def test_verify_and_adopt_run_their_module_with_the_pinned_cli_and_no_credential_checks(tmp_path: Path) -> None:
    bin_dir = fake_tools(tmp_path, pulumi=False)
    fake_pulumi(tmp_path / "cli" / VERSION / "pulumi" / "pulumi", tmp_path / "pulumi.log", tmp_path / "export.json")
    for action in ("verify", "adopt"):
        result = run(tmp_path, action, "prod", "--json", bin_dir=bin_dir, PULUMI_CONFIG_PASSPHRASE="")
        assert result.returncode == 0, result.stderr
        assert log(tmp_path, "python")[-2:] == [
            f"-m ops.{action} --stack prod --json",
            f"pulumi={tmp_path / 'cli' / VERSION / 'pulumi' / 'pulumi'}",
        ]
    assert log(tmp_path, "make") == []
    assert log(tmp_path, "pulumi") == []
    assert (tmp_path / "state").is_dir()


def test_verify_still_needs_the_state_passphrase(tmp_path: Path) -> None:
    result = run(tmp_path, "verify", "dev", bin_dir=fake_tools(tmp_path))
    assert result.returncode == 2
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" not in result.stderr
    assert log(tmp_path, "python") == [CHECK_DEV]


def make_dry_run(*args: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def test_makefile_targets_call_the_script_and_leave_the_policy_venv_to_it() -> None:
    for action in ("up", "preview", "rotate-now"):
        lines = make_dry_run(action, "STACK=prod")
        assert lines[-1] == f"scripts/stack.sh {action} prod"
        assert not any("policy" in line for line in lines)
    assert make_dry_run("verify", "STACK=prod", "ARGS=--json")[-1] == "scripts/stack.sh verify prod --json"
    assert make_dry_run("adopt", "ARGS=--yes")[-1] == "scripts/stack.sh adopt dev --yes"
    assert os.access(SCRIPT, os.X_OK)


def test_the_real_check_refuses_an_unedited_stack_before_any_credential_check(tmp_path: Path) -> None:
    # The dev fixture holds placeholders, as an unedited stack file does: the real
    # scripts/check_stack.py (through the real interpreter) must stop `up` before credentials, the
    # CLI or make.
    project = project_with_stack_file(
        tmp_path, "Pulumi.dev.yaml", (FIXTURES / "stacks" / "Pulumi.dev.yaml").read_text()
    )
    result = run_copy(tmp_path, project, "up", "dev")
    assert result.returncode == 2
    assert "cloudflareAccountId: got '<your Cloudflare account ID, 32 hex characters>'" in result.stderr
    assert "your own value in place of the placeholder" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" not in result.stderr
    assert not (tmp_path / "pulumi.log").exists() and not (tmp_path / "make.log").exists()


def check_stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_stack.py"), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_check_stack_help_is_help_not_a_stack_name() -> None:
    for flag in ("--help", "-h"):
        result = check_stack(flag)
        assert result.returncode == 0
        assert result.stdout.startswith("usage: scripts/check_stack.py [-h]")
        assert "stack" in result.stdout and result.stderr == ""


def test_check_stack_refuses_bad_arguments_with_its_usage() -> None:
    for args in ((), ("dev", "prod"), ("--bogus", "dev")):
        result = check_stack(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("usage: scripts/check_stack.py")
        assert "Traceback" not in result.stderr


def test_check_stack_prints_the_deployments_warnings_on_stderr_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": ["Engineering"], "scim": {"groups": ["Sales"]}}
    write_stack_file(tmp_path, "dev", config)
    assert check_stack_script.main(["--print-secrets-provider", "dev"], root=tmp_path) == 0
    out, err = capsys.readouterr()
    assert out == "\n"
    assert err.startswith(
        "Stack dev: warning: scim.groups differs from signInGroups (in signInGroups but not in scim.groups: "
        "Engineering; in scim.groups but not in signInGroups: Sales)."
    )
    assert len(err.splitlines()) == 1


def test_check_stack_is_quiet_when_there_is_nothing_to_warn_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack_file(tmp_path, "dev", {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": ["Engineering"]})
    assert check_stack_script.main(["dev"], root=tmp_path) == 0
    assert capsys.readouterr() == ("", "")


def test_check_stack_shows_the_deployments_secret_lifetime_warning_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack_file(tmp_path, "qa", minimal_config(secretRotationDays=350, secretGraceDays=30, production=False))
    assert check_stack_script.main(["qa"], root=tmp_path) == 0
    assert capsys.readouterr() == (
        "",
        "Stack qa: warning: secretRotationDays + secretGraceDays = 380 days: a client secret may live longer "
        "than 365 days, against Microsoft's advice to stay under 12 months\n",
    )


def test_check_stack_refuses_a_production_stack_over_the_strict_secret_lifetime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack_file(tmp_path, "qa", minimal_config(secretRotationDays=350, secretGraceDays=30))
    assert check_stack_script.main(["qa"], root=tmp_path) == 2
    err = capsys.readouterr().err
    assert err.startswith("Stack qa: invalid stack configuration (1 problem(s)):\n")
    assert "  - secretRotationDays + secretGraceDays: got 380; expected at most 365 days in a production stack" in err
