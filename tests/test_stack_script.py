"""scripts/stack.sh (behind `make up`, `preview`, `rotate-now`, `verify`, `adopt`), with fake tools.

Each test runs on a copy of what the script needs (config/, components/, ops/, scripts/) whose
`stacks/` holds only the test's own stack files: never the committed ones, which belong to the
user. The real scripts/check_stack.py and ops/needs.py do the checks. The fakes: `pulumi`
(reports the pinned version, logs everything else), `make` (logs, and says the policy venv is out
of date), `az` (signed in or not), and the venv's interpreter (VENV_PYTHON), which logs its
arguments, answers `-m ops.verify|adopt` with a small JSON document, and runs everything else with
the real one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ACCOUNT_ID, minimal_config, write_stack_file

from scripts import check_stack as check_stack_script

ROOT = Path(__file__).resolve().parent.parent
VERSION = (ROOT / ".pulumi.version").read_text().strip()
SECRET_URN = (
    "urn:pulumi:qa::entra-cloudflare::entracf:sso:LoginApp$azuread:index/applicationPassword:"
    "ApplicationPassword::login-client-secret"
)
STRICT = "--policy-pack-config policy/prod-config.json"
VALID_CONFIG = (
    "config:\n"
    "  entra-cloudflare:cloudflareAccountId: 0123456789abcdef0123456789abcdef\n"
    "  entra-cloudflare:teamName: acme-test\n"
    "  entra-cloudflare:signInGroups: [Engineering]\n"
)
NOT_PRODUCTION = VALID_CONFIG + "  entra-cloudflare:production: false\n"
PLACEHOLDER = "config:\n  entra-cloudflare:cloudflareAccountId: <your Cloudflare account ID>\n"
TOKEN = {"CLOUDFLARE_API_TOKEN": "test-token"}
SERVICE_PRINCIPAL = {
    "ARM_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
    "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000002",
    "ARM_CLIENT_SECRET": "test-secret",
}
READY = {**TOKEN, **SERVICE_PRINCIPAL, "PULUMI_CONFIG_PASSPHRASE": ""}
CHECK = "scripts/check_stack.py --for {action} --print production,pulumi-cli -- {stack}"
# verify and adopt: the command's own argument parser (ops/arguments.py), before the check.
ARGUMENTS = (
    "-c import sys; from ops.arguments import PARSERS; PARSERS[sys.argv[1]]().parse_args(sys.argv[2:]) "
    "{action} --stack {stack}"
)


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def fake_pulumi(path: Path, tmp_path: Path) -> None:
    executable(
        path,
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo v{VERSION}; exit 0; fi\n'
        f'echo "$*" >> "{tmp_path}/pulumi.log"\n'
        f'if [ "$1 $2" = "stack export" ]; then\n'
        f'  if [ -f "{tmp_path}/export-fails" ]; then echo "error: could not decrypt the state" >&2; exit 255; fi\n'
        f'  cat "{tmp_path}/export.json"\n'
        "fi\n",
    )


class Project:
    """A copy of the checkout's scripts and packages, its own stack files, and fake tools."""

    def __init__(self, tmp_path: Path, *, pulumi: bool = True, az: str | None = None) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "project"
        self.bin = tmp_path / "bin"
        # With their compiled files: copy2 keeps each source's time, by which Python checks them.
        for package in ("config", "components", "ops", "scripts"):
            shutil.copytree(ROOT / package, self.root / package)
        shutil.copy2(ROOT / ".pulumi.version", self.root)
        shutil.copy2(ROOT / "Makefile", self.root)
        (self.root / "stacks").mkdir()
        export = {
            "deployment": {
                "resources": [
                    {"type": "azuread:index/application:Application", "urn": "urn:pulumi:qa::p::x::login-app"},
                    {"type": "azuread:index/applicationPassword:ApplicationPassword", "urn": SECRET_URN},
                ]
            }
        }
        (tmp_path / "export.json").write_text(json.dumps(export))
        if pulumi:
            fake_pulumi(self.bin / "pulumi", tmp_path)
        if az is not None:
            signed_in = "exit 0" if az == "signed-in" else "echo \"Please run 'az login'\" >&2; exit 1"
            executable(self.bin / "az", f"#!/bin/sh\n{signed_in}\n")
        executable(
            self.bin / "make", f'#!/bin/sh\necho "$*" >> "{tmp_path}/make.log"\nif [ "$1" = -q ]; then exit 1; fi\n'
        )
        executable(
            tmp_path / "python",
            "#!/bin/sh\n"
            f'echo "$*" >> "{tmp_path}/python.log"\n'
            'if [ "$1" = -m ]; then\n'
            f'  echo "pulumi=$(command -v pulumi)" >> "{tmp_path}/python.log"\n'
            '  printf \'{"module": "%s", "stack": "%s"}\\n\' "$2" "$4"; exit 0\n'
            "fi\n"
            f'exec "{sys.executable}" "$@"\n',
        )

    def stack(self, name: str, text: str = VALID_CONFIG) -> Project:
        (self.root / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
        return self

    def environment(self, **env: str) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.tmp),
            "PULUMI_BACKEND_URL": f"file://{self.tmp}/state",
            "VENV_PYTHON": str(self.tmp / "python"),
            "PULUMI_CLI_DIR": str(self.tmp / "cli"),
            # Nothing listens there: a test that reaches for a download fails at once, offline.
            "PULUMI_RELEASES_URL": "http://127.0.0.1:9",
            **env,
        }

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(self.root / "scripts" / "stack.sh"), *args],
            capture_output=True,
            text=True,
            env=self.environment(**env),
            timeout=60,
            check=False,
        )

    def log(self, tool: str) -> list[str]:
        path = self.tmp / f"{tool}.log"
        return path.read_text().splitlines() if path.exists() else []


def problems(stderr: str) -> list[str]:
    """The `  - ...` lines of a "Cannot <action> stack <stack>:" message."""
    return [line.removeprefix("  - ") for line in stderr.splitlines() if line.startswith("  - ")]


# --- the pre-check: one table, every missing piece in one run ---------------------------------------


def test_bad_config_and_every_missing_credential_are_named_in_one_run_before_anything_slow(tmp_path: Path) -> None:
    project = Project(tmp_path, pulumi=False).stack("qa", PLACEHOLDER)
    result = project.run("up", "qa")
    assert result.returncode == 2
    assert result.stderr.startswith("Cannot up stack qa:\n")
    named = "\n".join(problems(result.stderr))
    assert "cloudflareAccountId: got '<your Cloudflare account ID>'" in named
    assert "CLOUDFLARE_API_TOKEN: a Cloudflare API token with 'Access: Organizations, Identity Providers, and " in named
    assert "Groups Write' (README.md, Prerequisites)" in named
    assert "PULUMI_CONFIG_PASSPHRASE" in named
    assert "Entra credentials" in named
    assert project.log("python") == [CHECK.format(action="up", stack="qa")]
    assert project.log("make") == [] and project.log("pulumi") == []
    assert not (tmp_path / "cli").exists() and not (tmp_path / "state").exists()


def test_without_the_azure_cli_the_hint_says_how_to_install_it_or_which_arm_variables_to_set(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    result = project.run("preview", "qa", **TOKEN, PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 2
    [entra] = problems(result.stderr)
    assert "install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli)" in entra
    assert "set ARM_CLIENT_ID and ARM_TENANT_ID" in entra and "ARM_USE_MSI=true" in entra
    assert not entra.startswith("Entra credentials: run 'az login")


def test_an_azure_cli_that_is_not_signed_in_is_named(tmp_path: Path) -> None:
    project = Project(tmp_path, az="signed-out").stack("qa")
    result = project.run("up", "qa", **TOKEN, PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 2
    assert problems(result.stderr) == [
        "Entra credentials: the Azure CLI is not signed in: run 'az login --allow-no-subscriptions' as a Cloud "
        "Application Administrator, or set ARM_CLIENT_ID and ARM_TENANT_ID for a service principal "
        "(README.md, Prerequisites)"
    ]


def test_a_signed_in_azure_cli_is_enough(tmp_path: Path) -> None:
    project = Project(tmp_path, az="signed-in").stack("qa")
    result = project.run("preview", "qa", **TOKEN, PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == f"preview --policy-pack policy {STRICT} --diff --stack qa"


def test_a_managed_identity_is_accepted_with_its_tenant(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    without_tenant = project.run("up", "qa", **TOKEN, ARM_USE_MSI="true", PULUMI_CONFIG_PASSPHRASE="")
    assert without_tenant.returncode == 2
    assert problems(without_tenant.stderr) == ["ARM_TENANT_ID: the tenant of the managed identity (ARM_USE_MSI)"]
    tenant = SERVICE_PRINCIPAL["ARM_TENANT_ID"]
    result = project.run("up", "qa", **TOKEN, ARM_USE_MSI="true", ARM_TENANT_ID=tenant, PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == f"up --policy-pack policy {STRICT} --stack qa"


def test_a_service_principal_secret_without_its_tenant_is_refused_up_front(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    without_tenant = {key: value for key, value in READY.items() if key != "ARM_TENANT_ID"}
    result = project.run("up", "qa", **without_tenant)
    assert result.returncode == 2
    assert problems(result.stderr) == ["ARM_TENANT_ID: the tenant of the service principal named by ARM_CLIENT_ID"]
    assert project.log("pulumi") == [] and not (tmp_path / "cli").exists()


def test_a_service_principal_without_a_way_to_prove_it_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    result = project.run("up", "qa", **TOKEN, ARM_CLIENT_ID="x", ARM_TENANT_ID="y", PULUMI_CONFIG_PASSPHRASE="")
    assert result.returncode == 2
    assert "set ARM_USE_OIDC=true (CI), ARM_CLIENT_CERTIFICATE_PATH or ARM_CLIENT_SECRET" in result.stderr


def test_unknown_stack_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    result = project.run("up", "staging", **READY)
    assert result.returncode == 2
    assert "no stack file stacks/Pulumi.staging.yaml (stack files found for: qa)" in result.stderr
    assert project.log("pulumi") == [] and project.log("make") == []


def test_a_yml_only_stack_is_found_by_the_one_rule(tmp_path: Path) -> None:
    project = Project(tmp_path)
    (project.root / "stacks" / "Pulumi.qa.eu.yml").write_text(VALID_CONFIG)
    result = project.run("preview", "qa.eu", **READY)
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == f"preview --policy-pack policy {STRICT} --diff --stack qa.eu"


def test_a_secrets_provider_means_no_passphrase_is_needed_but_the_passphrase_provider_needs_it(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa").stack("kms", "secretsprovider: awskms://alias/entra-cf\n" + VALID_CONFIG)
    project.stack("pass", "secretsprovider: passphrase\n" + VALID_CONFIG)
    environment = {**TOKEN, **SERVICE_PRINCIPAL}
    assert "PULUMI_CONFIG_PASSPHRASE" in project.run("preview", "qa", **environment).stderr
    assert "PULUMI_CONFIG_PASSPHRASE" in project.run("preview", "pass", **environment).stderr
    result = project.run("preview", "kms", **environment)
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == f"preview --policy-pack policy {STRICT} --diff --stack kms"


def test_verify_and_adopt_name_the_same_things_through_make_as_directly(tmp_path: Path) -> None:
    project = Project(tmp_path, pulumi=False).stack("qa")
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PULUMI_BACKEND_URL": f"file://{tmp_path}/state"}
    # With --json: the same problems on stderr, and the same document on stdout.
    for action in ("verify", "adopt"):
        through_script = project.run(action, "qa", "--json", VENV_PYTHON=sys.executable)
        direct = subprocess.run(
            [sys.executable, "-m", f"ops.{action}", "--stack", "qa", "--json"],
            cwd=project.root,
            env=bare,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert through_script.returncode == direct.returncode == 2
        headline = "Cannot adopt into stack qa:" if action == "adopt" else "Cannot verify stack qa:"
        assert through_script.stderr.splitlines()[0] == direct.stderr.splitlines()[0] == headline
        # The script provides the pinned CLI itself; run directly, verify needs it on PATH.
        cli = [p for p in problems(direct.stderr) if p.startswith("the Pulumi CLI is not on PATH")]
        assert problems(through_script.stderr) == [p for p in problems(direct.stderr) if p not in cli]
        assert len(cli) == (1 if action == "verify" else 0)
        named = "\n".join(problems(direct.stderr))
        assert "CLOUDFLARE_API_TOKEN" in named and "Entra credentials" in named
        assert ("PULUMI_CONFIG_PASSPHRASE" in named) == (action == "verify")
        assert "Traceback" not in through_script.stderr + direct.stderr
        document = json.loads(direct.stdout)
        document["problems"] = [p for p in document["problems"] if p not in cli]
        assert json.loads(through_script.stdout) == document


# --- after the checks: the CLI, the policy venv, the deployment ---------------------------------------


def test_a_cli_that_cannot_be_provided_stops_it_before_the_policy_venv_is_built(tmp_path: Path) -> None:
    project = Project(tmp_path, pulumi=False).stack("qa")
    result = project.run("up", "qa", **READY)
    assert result.returncode == 2
    assert "Cannot provide Pulumi CLI: cannot reach http://127.0.0.1:9/" in result.stderr
    assert project.log("make") == []
    assert not (tmp_path / "state").exists()


def test_up_checks_then_builds_the_policy_venv_then_deploys_on_the_local_backend(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa", NOT_PRODUCTION)
    result = project.run("up", "qa", "--yes", **READY)
    assert result.returncode == 0, result.stderr
    assert project.log("python") == [CHECK.format(action="up", stack="qa"), "scripts/pulumi_cli.py"]
    assert project.log("make") == ["-q --no-print-directory policy-install", "-s --no-print-directory policy-install"]
    assert project.log("pulumi") == [
        "stack select --create --non-interactive qa",
        "up --policy-pack policy --stack qa --yes",
    ]
    assert (tmp_path / "state").is_dir()


def test_the_pinned_cli_installed_in_the_checkout_is_put_first_on_path(tmp_path: Path) -> None:
    project = Project(tmp_path, pulumi=False).stack("qa", NOT_PRODUCTION)
    fake_pulumi(tmp_path / "cli" / VERSION / "pulumi" / "pulumi", tmp_path)
    result = project.run("preview", "qa", **READY)
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == "preview --policy-pack policy --diff --stack qa"


def test_rotate_now_replaces_exactly_the_client_secret(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa", NOT_PRODUCTION)
    result = project.run("rotate-now", "qa", **READY)
    assert result.returncode == 0, result.stderr
    assert project.log("pulumi")[-1] == f"up --policy-pack policy --stack qa --replace {SECRET_URN}"


def test_rotate_now_reports_a_failed_export_in_one_message_without_a_traceback(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    (tmp_path / "export-fails").touch()
    result = project.run("rotate-now", "qa", **READY)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "JSONDecodeError" not in result.stderr
    assert result.stderr.splitlines()[-2:] == [
        "Cannot rotate-now stack qa:",
        "  - cannot read the state of stack qa ('pulumi stack export' failed, its message is above): "
        "check PULUMI_BACKEND_URL and the passphrase",
    ]
    assert not any(line.startswith("up ") for line in project.log("pulumi"))

    (tmp_path / "export-fails").unlink()
    (tmp_path / "export.json").write_text("warning: not JSON\n")
    result = project.run("rotate-now", "qa", **READY)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert problems(result.stderr) == ["'pulumi stack export --stack qa' printed something that is not a stack export"]


def test_a_stack_is_production_unless_its_file_says_otherwise_whatever_its_name(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("acme-prod").stack("acme-dev", NOT_PRODUCTION).stack("prod", NOT_PRODUCTION)
    # up and rotate-now on a non-production stack: test_up_checks_... and test_rotate_now_replaces_...
    runs = [("up", "acme-prod", True), ("rotate-now", "acme-prod", True), ("preview", "acme-prod", True)]
    runs += [("preview", "acme-dev", False), ("preview", "prod", False)]
    for action, stack, strict in runs:
        result = project.run(action, stack, **READY)
        assert result.returncode == 0, result.stderr
        deployed = project.log("pulumi")[-1]
        command = "up" if action == "rotate-now" else action
        assert deployed.startswith(f"{command} --policy-pack policy {STRICT if strict else '--'}"), deployed
        assert (STRICT in deployed) == strict


# --- verify and adopt -------------------------------------------------------------------------------


def test_verify_runs_its_module_with_the_pinned_cli(tmp_path: Path) -> None:
    project = Project(tmp_path, pulumi=False).stack("qa")
    fake_pulumi(tmp_path / "cli" / VERSION / "pulumi" / "pulumi", tmp_path)
    result = project.run("verify", "qa", "--json", **READY)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"module": "ops.verify", "stack": "qa"}
    assert project.log("python")[-2:] == [
        "-m ops.verify --stack qa --json",
        f"pulumi={tmp_path / 'cli' / VERSION / 'pulumi' / 'pulumi'}",
    ]
    assert project.log("make") == [] and project.log("pulumi") == []


@pytest.mark.parametrize("action", ["verify", "adopt"])
def test_verify_and_adopt_answer_help_and_refuse_a_wrong_argument_before_any_check(tmp_path: Path, action: str) -> None:
    # Nothing set, and a placeholder in the stack file: the checks would fail, yet they never run.
    project = Project(tmp_path).stack("qa", "config:\n  entra-cloudflare:cloudflareAccountId: <yours>\n")
    helped = project.run(action, "qa", "--help", VENV_PYTHON=sys.executable)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith(f"usage: python -m ops.{action}") and helped.stderr == ""
    refused = project.run(action, "qa", "--jsn", VENV_PYTHON=sys.executable)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"usage: python -m ops.{action}")
    assert refused.stderr.endswith("error: unrecognized arguments: --jsn\n")


def test_verify_needs_the_state_passphrase(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    result = project.run("verify", "qa", **TOKEN, **SERVICE_PRINCIPAL)
    assert result.returncode == 2
    assert [p.split(" ")[0] for p in problems(result.stderr)] == ["PULUMI_CONFIG_PASSPHRASE"]


def test_adopt_needs_neither_the_passphrase_nor_the_cli(tmp_path: Path) -> None:
    # No pulumi anywhere and no release server: adopt must not reach for either.
    project = Project(tmp_path, pulumi=False).stack("qa")
    result = project.run("adopt", "qa", "--json", **TOKEN, **SERVICE_PRINCIPAL)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"module": "ops.adopt", "stack": "qa"}
    assert project.log("python") == [
        ARGUMENTS.format(action="adopt", stack="qa") + " --json",
        CHECK.format(action="adopt", stack="qa").replace(" -- qa", " --json -- qa"),
        "-m ops.adopt --stack qa --json",
        "pulumi=",
    ]
    assert not (tmp_path / "cli").exists() and not (tmp_path / "state").exists()


# --- make and the command line ---------------------------------------------------------------------


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
    assert os.access(ROOT / "scripts" / "stack.sh", os.X_OK)


# Stands in for uv (make's UV): it talks on stdout while it "syncs" the venv.
NOISY_UV = """#!/bin/sh
echo "uv noise: $*"
mkdir -p "$UV_PROJECT_ENVIRONMENT/bin"
"""


def test_make_verify_and_adopt_with_json_put_the_document_alone_on_stdout(tmp_path: Path) -> None:
    project = Project(tmp_path).stack("qa")
    for name in ("pyproject.toml", "uv.lock", "uv-requirements.txt"):
        shutil.copy2(ROOT / name, project.root)
    # A venv to build first, by a uv that talks on stdout.
    executable(tmp_path / "noisy-uv", NOISY_UV)
    (project.bin / "make").unlink()  # the real make this time
    built = []
    for action in ("verify", "adopt"):
        result = subprocess.run(
            ["make", action, "STACK=qa", "ARGS=--json", f"UV={tmp_path / 'noisy-uv'}"],
            cwd=project.root,
            env=project.environment(**READY),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"module": f"ops.{action}", "stack": "qa"}
        assert result.stdout.count("\n") == 1
        built.append("uv noise: sync --frozen" in result.stderr)
    # The first run built the venv (its noise went to stderr), the second found it built.
    assert built == [True, False]


def test_make_help_is_the_default_and_lists_every_target_with_one_line() -> None:
    plain = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, check=True)
    helped = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert plain.stdout == helped.stdout
    phony = re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert phony is not None
    listed = {line.split()[0]: line for line in plain.stdout.splitlines() if line.startswith("  ")}
    assert set(listed) == set(phony.group(1).split())
    assert all(len(line.split(maxsplit=1)) == 2 for line in listed.values())


def test_the_script_answers_help_and_refuses_missing_arguments_with_its_usage(tmp_path: Path) -> None:
    project = Project(tmp_path)
    for flag in ("--help", "-h"):
        result = project.run(flag)
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout.startswith("usage: scripts/stack.sh up|preview|rotate-now|verify|adopt STACK")
    result = project.run("up")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: scripts/stack.sh") and "unbound" not in result.stderr
    assert project.log("python") == []


def check_stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_stack.py"), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [(), ("dev", "prod"), ("--bogus", "dev"), ("--print", "pulumi-cli", "dev"), ("--print", "bogus", "dev")],
    ids=["nothing", "two-stacks", "unknown-option", "command-fact-without-for", "unknown-fact"],
)
def test_check_stack_refuses_bad_arguments_with_its_usage(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        check_stack_script.main(list(args))
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: scripts/check_stack.py")


def test_check_stack_run_as_a_script_refuses_a_bad_argument_with_its_usage_and_no_traceback() -> None:
    result = check_stack("--for", "x", "dev")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: scripts/check_stack.py")
    assert "invalid choice: 'x'" in result.stderr and "Traceback" not in result.stderr


def test_check_stack_prints_whether_a_stack_is_production_for_any_script_that_asks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Through scripts/stack.sh, which reads this line: test_a_stack_is_production_unless_...
    write_stack_file(tmp_path, "acme-prod", minimal_config())
    write_stack_file(tmp_path, "acme-dev", minimal_config(production=False))
    for stack, production in (("acme-prod", "true"), ("acme-dev", "false")):
        assert check_stack_script.main(["--print", "production", stack], root=tmp_path) == 0
        assert capsys.readouterr().out == f"{production}\n"


def test_check_stack_prints_the_deployments_warnings_on_stderr_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": ["Engineering"], "scim": {"groups": ["Sales"]}}
    write_stack_file(tmp_path, "dev", config)
    assert check_stack_script.main(["--print", "production", "dev"], root=tmp_path) == 0
    out, err = capsys.readouterr()
    assert out == "true\n"
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
