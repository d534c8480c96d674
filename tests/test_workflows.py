"""GitHub Actions (.github/): schema-valid, zizmor-clean, pinned to known commits, and held to
this project's own CI rules.

zizmor (run offline below) covers the generic hardening: unpinned actions, permissions, template
injection, credential persistence, environment-file writes. The tests here keep what no linter
knows: which stacks run where, that prod deploys only through the protected environment, one
concurrency group per stack, OIDC instead of stored Azure secrets, the policy pack on every
pulumi command, verify after every deployment, and the CLI pin file.

Offline and fast: the GitHub and Dependabot schemas are the copies bundled in check-jsonschema,
and the stack list is produced by running the same script the workflows run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.stack_files import stack_names

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
DEPENDABOT = GITHUB / "dependabot.yml"
LIST_STACKS = GITHUB / "scripts" / "list_stacks.py"
SETUP_ACTION = "$/.github/actions/pulumi-setup"
SETUP_ACTION_FILE = GITHUB / "actions" / "pulumi-setup" / "action.yml"
ZIZMOR = Path(sys.executable).parent / "zizmor"
# The exact command the Makefile's lint step runs: offline, no config file (so nothing is
# suppressed wholesale), a workflow that does not parse is an error, every finding from low up.
ZIZMOR_COMMAND = ("--offline", "--no-config", "--strict-collection", "--min-severity", "low", ".github")

PRODUCTION_STACK = "prod"
PRODUCTION_ENVIRONMENT = "production"
MATRIX_OF_ALL = "${{ fromJSON(needs.stacks.outputs.all) }}"
MATRIX_OF_NON_PRODUCTION = "${{ fromJSON(needs.stacks.outputs.non_production) }}"
POLICY_ARGS_FROM_SETUP = "${{ steps.setup.outputs.policy-args }}"
VERIFY = 'make verify STACK="$STACK"'
SDK_PINS = ("pulumi", "pulumi-azuread", "pulumi-cloudflare")

# Every action in use, at the tag and commit checked against the action's own repository
# (`git ls-remote --tags https://github.com/<owner>/<action>` lists each tag's commit). A
# Dependabot pull request that moves a pin must move it here too, after checking that the commit
# is that tag's.
PINS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
    "actions/github-script": ("v8.0.0", "ed597411d8f924073f98dfc5c65a23a2325f34cd"),
    "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"),
    "actions/download-artifact": ("v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"),
    "azure/login": ("v3.0.1", "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca"),
    "pulumi/actions": ("v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d"),
}

# One `uses:` line: `owner/repo[/path]@<40-hex commit> # vX.Y.Z`, or this repository's own
# action by the self-repository form `$/path` (resolved at the workflow's own commit).
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*['\"]?(?P<ref>[^'\"\s#]+)['\"]?\s*(?P<comment>#.*)?$")
PINNED_REF = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^#\s*(?P<tag>v\d+\.\d+\.\d+)$")
SELF_REPOSITORY_REF = re.compile(r"^\$/[\w./-]+$")

LONG_LIVED_AZURE_CREDENTIALS = (
    "ARM_CLIENT_SECRET",
    "ARM_CLIENT_CERTIFICATE",
    "AZURE_CLIENT_SECRET",
    "AZURE_CREDENTIALS",
    "client-secret",
    "creds:",
)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / name)


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            yield path.name, job_name, job


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def deploying_step_indexes(job: dict[str, Any]) -> list[int]:
    return [
        index
        for index, step in enumerate(steps(job))
        if "pulumi up" in step.get("run", "") or "make rotate-now" in step.get("run", "")
    ]


def deploys(job: dict[str, Any]) -> bool:
    return bool(deploying_step_indexes(job))


def uses_setup_action(job: dict[str, Any]) -> bool:
    return any(step.get("uses") == SETUP_ACTION for step in steps(job))


def list_stacks(*args: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, str(LIST_STACKS), *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    outputs = dict(line.split("=", 1) for line in result.stdout.splitlines())
    return {key: json.loads(value) for key, value in outputs.items()}


def uses_lines() -> list[tuple[str, str]]:
    """Every `uses:` line of every workflow and action, as (file:line, text): YAML drops comments."""
    return [
        (f"{path.relative_to(ROOT)}:{number}", line)
        for path in WORKFLOWS + ACTIONS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.match(r"^\s*(-\s+)?uses:", line)
    ]


def pin_problem(line: str) -> str | None:
    """What is wrong with one `uses:` line's pin, or None when it is a commit with a version label."""
    match = USES_LINE.match(line)
    if not match:
        return "not a plain `uses: <ref> # <comment>` line"
    ref, comment = match["ref"], match["comment"]
    if SELF_REPOSITORY_REF.match(ref):
        return None if comment is None else "a self-repository reference takes no version label"
    if not PINNED_REF.match(ref):
        return f"{ref} is not owner/repo@<40-hex commit> (nor $/<path> for this repository)"
    if comment is None or not VERSION_COMMENT.match(comment.strip()):
        return f"{ref} has no `# vX.Y.Z` label naming its tag"
    return None


# --- Files and schemas ---------------------------------------------------------------------------


def test_there_are_workflows_and_stacks_to_check() -> None:
    assert {path.name for path in WORKFLOWS} == {"pull-request.yml", "deploy.yml", "scheduled.yml"}
    assert [path.parent.name for path in ACTIONS] == ["pulumi-setup"]
    assert PRODUCTION_STACK in stack_names()
    assert len(stack_names()) >= 2


@pytest.mark.parametrize(
    ("path", "schema"),
    [(path, "vendor.github-workflows") for path in WORKFLOWS]
    + [(path, "vendor.github-actions") for path in ACTIONS]
    + [(DEPENDABOT, "vendor.dependabot")],
    ids=lambda value: value if isinstance(value, str) else str(value.relative_to(GITHUB)),
)
def test_file_validates_against_its_schema(path: Path, schema: str) -> None:
    # The builtin schemas ship inside check-jsonschema: no network is needed.
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- zizmor --------------------------------------------------------------------------------------


def test_zizmor_finds_nothing_offline() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("GH_", "GITHUB_", "ZIZMOR_"))}
    result = subprocess.run(
        [str(ZIZMOR), *ZIZMOR_COMMAND], cwd=ROOT, capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_has_no_configuration_that_could_suppress_audits_wholesale() -> None:
    candidates = [ROOT / "zizmor.yml", ROOT / "zizmor.yaml", GITHUB / "zizmor.yml", GITHUB / "zizmor.yaml"]
    assert [path for path in candidates if path.exists()] == []


def test_every_inline_zizmor_ignore_says_why() -> None:
    for path in WORKFLOWS + ACTIONS + [DEPENDABOT]:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if "zizmor: ignore[" not in line:
                continue
            reason = line.split("zizmor: ignore[", 1)[1].split("]", 1)[1].strip(" :-—")
            previous = lines[number - 1].strip() if number else ""
            assert reason or previous.startswith("#"), f"{path.name}:{number + 1}: say why the finding is ignored"


# --- Pins (issue 14) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "    - uses: pulumi/actions@v6.0.0",
        "      - uses: actions/checkout@v7",
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7",
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # pinned",
        "      - uses: actions/checkout@3d3c42e5 # v7.0.1",
        "      - uses: ./.github/actions/pulumi-setup",
    ],
)
def test_pin_check_rejects(line: str) -> None:
    assert pin_problem(line) is not None


def test_every_uses_is_a_commit_with_a_version_label() -> None:
    lines = uses_lines()
    # As many lines as YAML sees `uses:` keys, so no form of `uses` escapes the line check.
    parsed = 0
    for path in WORKFLOWS + ACTIONS:
        document = load(path)
        all_steps = [step for job in document.get("jobs", {}).values() for step in steps(job)]
        all_steps += document.get("runs", {}).get("steps", [])
        parsed += sum("uses" in step for step in all_steps)
    assert parsed == len(lines) > 0
    problems = [f"{where}: {problem}" for where, line in lines if (problem := pin_problem(line))]
    assert problems == []


def test_every_pin_is_the_known_commit_of_the_tag_its_label_names() -> None:
    seen: set[str] = set()
    for where, line in uses_lines():
        match = USES_LINE.match(line)
        assert match is not None, where
        pinned = PINNED_REF.match(match["ref"])
        if pinned is None:
            continue  # the self-repository action
        action = pinned["action"]
        assert action in PINS, f"{where}: {action} is not in the table of checked pins"
        tag, sha = PINS[action]
        assert (pinned["sha"], (match["comment"] or "").lstrip("# ").strip()) == (sha, tag), where
        seen.add(action)
    assert seen == set(PINS), "the table lists actions no workflow uses"


# --- Stack lists -------------------------------------------------------------------------------


def test_stack_list_covers_every_committed_stack_file() -> None:
    outputs = list_stacks()
    assert outputs["all"] == stack_names()
    assert sorted(outputs["non_production"] + outputs["production"]) == stack_names()


def test_stack_list_keeps_production_out_of_the_unprotected_list() -> None:
    outputs = list_stacks()
    assert PRODUCTION_STACK not in outputs["non_production"]
    assert outputs["production"] == [PRODUCTION_STACK]


def test_stack_list_rejects_an_unknown_stack() -> None:
    result = subprocess.run(
        [sys.executable, str(LIST_STACKS), "--only", "no-such-stack"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "unknown stack 'no-such-stack'" in result.stderr


def test_stack_list_runs_on_a_bare_python_from_any_directory(tmp_path: Path) -> None:
    # CI runs it with the runner's python3 before anything is installed: -I ignores site-packages.
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(LIST_STACKS), "--only", PRODUCTION_STACK],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f'production=["{PRODUCTION_STACK}"]' in result.stdout.splitlines()


# --- Previews ----------------------------------------------------------------------------------


def test_preview_and_its_comment_run_for_every_stack() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    assert "list_stacks.py" in run_text(jobs["stacks"])
    assert jobs["preview"]["strategy"]["matrix"]["stack"] == MATRIX_OF_ALL
    assert jobs["comment"]["strategy"]["matrix"]["stack"] == MATRIX_OF_ALL
    assert "pulumi preview $POLICY_ARGS --diff" in run_text(jobs["preview"])


def test_preview_waits_for_make_test() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    assert "make test" in run_text(jobs["test"])
    assert "test" in jobs["preview"]["needs"]


def test_preview_comment_is_one_per_stack_and_updated_in_place() -> None:
    script = steps(workflow("pull-request.yml")["jobs"]["comment"])[-1]["with"]["script"]
    assert "<!-- pulumi-preview:${stack} -->" in script
    assert "updateComment" in script
    assert "createComment" in script


# --- Deployments: where, one at a time, verified -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "unprotected_job", "production_job"),
    [("deploy.yml", "deploy", "deploy-prod"), ("scheduled.yml", "redeploy", "redeploy-prod")],
)
def test_every_stack_is_deployed_and_prod_only_through_the_protected_environment(
    name: str, unprotected_job: str, production_job: str
) -> None:
    jobs = workflow(name)["jobs"]
    assert jobs[unprotected_job]["strategy"]["matrix"]["stack"] == MATRIX_OF_NON_PRODUCTION
    assert "environment" not in jobs[unprotected_job]
    assert jobs[production_job]["env"]["STACK"] == PRODUCTION_STACK
    assert jobs[production_job]["environment"] == PRODUCTION_ENVIRONMENT
    # Prod waits for the other stacks.
    assert unprotected_job in jobs[production_job]["needs"]


def test_only_the_protected_environment_jobs_deploy_a_literal_stack() -> None:
    deploying = [(file, name, job) for file, name, job in all_jobs() if deploys(job)]
    assert len(deploying) == 4
    for file, name, job in deploying:
        if job.get("environment") == PRODUCTION_ENVIRONMENT:
            assert job["env"]["STACK"] == PRODUCTION_STACK, (file, name)
        else:
            assert job["strategy"]["matrix"]["stack"] == MATRIX_OF_NON_PRODUCTION, (file, name)


def test_pull_requests_never_reach_the_production_environment() -> None:
    for name, job in workflow("pull-request.yml")["jobs"].items():
        assert "environment" not in job, name
        assert not deploys(job), name


def test_deployments_use_one_concurrency_group_per_stack_shared_by_push_and_schedule() -> None:
    groups: dict[str, set[str]] = {}
    for file, name, job in all_jobs():
        if not deploys(job):
            continue
        concurrency = job["concurrency"]
        assert concurrency["cancel-in-progress"] is False, (file, name)
        stack = job["env"]["STACK"]
        assert concurrency["group"] == f"pulumi-{stack}", (file, name)
        groups.setdefault(file, set()).add(concurrency["group"])
    assert groups["deploy.yml"] == groups["scheduled.yml"] == {"pulumi-${{ matrix.stack }}", "pulumi-prod"}


def test_every_deployment_is_verified_afterwards_and_a_failed_check_fails_the_job() -> None:
    for file, name, job in all_jobs():
        if not deploys(job):
            continue
        job_steps = steps(job)
        verifying = [index for index, step in enumerate(job_steps) if step.get("run", "").strip() == VERIFY]
        assert len(verifying) == 1, (file, name)
        verify_step = job_steps[verifying[0]]
        assert verifying[0] > max(deploying_step_indexes(job)), (file, name)
        # Runs after whichever deployment step ran, and its failure is the job's.
        assert "if" not in verify_step, (file, name)
        assert not verify_step.get("continue-on-error"), (file, name)


def test_drift_check_runs_for_every_stack_and_fails_on_changes() -> None:
    job = workflow("scheduled.yml")["jobs"]["drift-check"]
    assert job["strategy"]["matrix"]["stack"] == MATRIX_OF_ALL
    text = run_text(job)
    assert "pulumi preview $POLICY_ARGS --refresh --expect-no-changes" in text
    assert "GITHUB_STEP_SUMMARY" in text
    assert 'exit "$status"' in text


def test_drift_check_also_verifies_and_reports_in_the_job_summary() -> None:
    job = workflow("scheduled.yml")["jobs"]["drift-check"]
    drift, verify = (
        next(index for index, step in enumerate(steps(job)) if needle in step.get("run", ""))
        for needle in ("--expect-no-changes", "make --no-print-directory verify")
    )
    assert verify > drift
    step = steps(job)[verify]
    # Runs after a drift failure too, but not when the setup failed.
    assert step["if"] == "!cancelled() && steps.setup.outcome == 'success'"
    assert 'verify STACK="$STACK" > verify.txt' in step["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in step["run"]
    assert step["run"].rstrip().endswith('exit "$status"')


def test_schedule_conditions_name_crons_that_exist() -> None:
    document = workflow("scheduled.yml")
    crons = {entry["cron"] for entry in document["on"]["schedule"]}
    referenced = {
        cron
        for job in document["jobs"].values()
        for cron in re.findall(r"github\.event\.schedule == '([^']+)'", str(job.get("if", "")))
    }
    assert crons == referenced
    assert "43 5 * * *" in crons  # daily drift check
    assert "17 4 * * 1" in crons  # weekly redeploy (rotation)


def test_dispatch_offers_an_immediate_rotation() -> None:
    document = workflow("scheduled.yml")
    assert "rotate-now" in document["on"]["workflow_dispatch"]["inputs"]["task"]["options"]
    for name in ("redeploy", "redeploy-prod"):
        assert 'make rotate-now STACK="$STACK"' in run_text(document["jobs"][name])


# --- Credentials: OIDC, never a stored Azure secret --------------------------------------------


def test_jobs_that_talk_to_azure_sign_in_through_oidc() -> None:
    talking = [(file, name, job) for file, name, job in all_jobs() if uses_setup_action(job)]
    assert len(talking) == 6  # preview, two deploys, drift check, two redeploys
    for file, name, job in talking:
        assert job["permissions"].get("id-token") == "write", (file, name)
        assert job["env"]["ARM_USE_OIDC"] == "true", (file, name)
        assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.ARM_CLIENT_ID }}", (file, name)


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda path: str(path.relative_to(GITHUB)))
def test_no_long_lived_azure_credential_is_referenced(path: Path) -> None:
    text = path.read_text()
    for credential in LONG_LIVED_AZURE_CREDENTIALS:
        assert credential.lower() not in text.lower(), credential


# --- The policy pack on every pulumi command ----------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", "--policy-pack policy"),
        ("prod", "--policy-pack policy --policy-pack-config policy/prod-config.json"),
    ],
)
def test_setup_action_gives_each_stack_its_policy_arguments(stack: str, expected: str, tmp_path: Path) -> None:
    action = load(SETUP_ACTION_FILE)
    assert action["outputs"]["policy-args"]["value"] == "${{ steps.policy.outputs.args }}"
    action_steps = action["runs"]["steps"]
    policy_step = next(step for step in action_steps if step.get("id") == "policy")
    # The pack's venv is built before any pulumi command can use it.
    install = next(index for index, step in enumerate(action_steps) if "policy-install" in step.get("run", ""))
    assert install < action_steps.index(policy_step)
    output = tmp_path / "output"
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", policy_step["run"]],
        env={"PATH": os.environ["PATH"], "STACK": stack, "GITHUB_OUTPUT": str(output)},
        check=True,
    )
    assert output.read_text() == f"args={expected}\n"


def test_every_pulumi_preview_and_up_runs_the_policy_pack() -> None:
    commands = 0
    for file, name, job in all_jobs():
        job_steps = steps(job)
        for step in job_steps:
            lines = [line.strip() for line in step.get("run", "").splitlines()]
            for line in (line for line in lines if re.match(r"pulumi (preview|up)\b", line)):
                commands += 1
                assert line.startswith(("pulumi preview $POLICY_ARGS ", "pulumi up $POLICY_ARGS ")), (file, name, line)
                assert step["env"]["POLICY_ARGS"] == POLICY_ARGS_FROM_SETUP, (file, name)
                assert {"id": "setup", "uses": SETUP_ACTION} in job_steps, (file, name)
    assert commands == 6  # PR preview, two deploys, drift check, two redeploys


# --- The Pulumi CLI ----------------------------------------------------------------------------


def test_ci_installs_the_cli_from_the_pin_file() -> None:
    action_steps = load(SETUP_ACTION_FILE)["runs"]["steps"]
    installers = [step for step in action_steps if step.get("uses", "").startswith("pulumi/actions@")]
    assert [step["with"] for step in installers] == [{"pulumi-version-file": ".pulumi.version"}]


# --- Dependabot --------------------------------------------------------------------------------


# requirements.txt and requirements-dev.txt of the stack, and the policy pack's.
REQUIREMENTS = sorted([*ROOT.glob("requirements*.txt"), *ROOT.glob("*/requirements*.txt")])


def manifest_directory(path: Path) -> str:
    """A manifest's directory as dependabot.yml names it: `/` for the repository root."""
    relative = path.parent.relative_to(ROOT).as_posix()
    return "/" if relative == "." else f"/{relative}"


def dependabot_update(ecosystem: str) -> dict[str, Any]:
    updates = [entry for entry in load(DEPENDABOT)["updates"] if entry["package-ecosystem"] == ecosystem]
    assert len(updates) == 1, ecosystem
    return updates[0]


@pytest.mark.parametrize(
    ("ecosystem", "directories"),
    [
        ("github-actions", ["/", *(manifest_directory(path) for path in ACTIONS)]),
        ("pip", sorted({manifest_directory(path) for path in REQUIREMENTS})),
    ],
)
def test_dependabot_moves_each_ecosystem_weekly_in_one_pull_request(ecosystem: str, directories: list[str]) -> None:
    update = dependabot_update(ecosystem)
    assert sorted(update["directories"]) == sorted(directories)
    assert update["schedule"]["interval"] == "weekly"
    [group] = update["groups"].values()
    assert group["patterns"] == ["*"]


def test_dependabot_moves_the_sdk_pins_together() -> None:
    groups = dependabot_update("pip")["groups"]
    holding = {
        group_name
        for package in SDK_PINS
        for group_name, group in groups.items()
        if any(fnmatch.fnmatch(package, pattern) for pattern in group["patterns"])
        and not any(fnmatch.fnmatch(package, pattern) for pattern in group.get("exclude-patterns", []))
    }
    assert len(holding) == 1
