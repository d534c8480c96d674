"""GitHub Actions workflows (.github/): schema-valid and held to the project's CI rules.

Offline and fast: the GitHub schemas are the copies bundled in check-jsonschema, and the stack
list is produced by running the same script the workflows run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
LIST_STACKS = GITHUB / "scripts" / "list_stacks.py"
SETUP_ACTION = "./.github/actions/pulumi-setup"

PRODUCTION_STACK = "prod"
PRODUCTION_ENVIRONMENT = "production"
MATRIX_OF_ALL = "${{ fromJSON(needs.stacks.outputs.all) }}"
MATRIX_OF_NON_PRODUCTION = "${{ fromJSON(needs.stacks.outputs.non_production) }}"

# `owner/repo[/path]@<full commit sha>` or `@vX.Y.Z`; never a branch or a floating major.
PINNED_USES = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@([0-9a-f]{40}|v\d+\.\d+\.\d+)$")
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


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job.get("steps", []) if "uses" in step]


def deploys(job: dict[str, Any]) -> bool:
    text = run_text(job)
    return "pulumi up" in text or "make rotate-now" in text


def committed_stacks() -> set[str]:
    return {path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in (ROOT / "stacks").glob("Pulumi.*.yaml")}


def list_stacks(*args: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, str(LIST_STACKS), *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    outputs = dict(line.split("=", 1) for line in result.stdout.splitlines())
    return {key: json.loads(value) for key, value in outputs.items()}


def test_there_are_workflows_and_stacks_to_check() -> None:
    assert {path.name for path in WORKFLOWS} == {"pull-request.yml", "deploy.yml", "scheduled.yml"}
    assert {"dev", PRODUCTION_STACK} <= committed_stacks()


@pytest.mark.parametrize(
    ("path", "schema"),
    [(path, "vendor.github-workflows") for path in WORKFLOWS] + [(path, "vendor.github-actions") for path in ACTIONS],
    ids=lambda value: value if isinstance(value, str) else str(value.relative_to(GITHUB)),
)
def test_file_validates_against_githubs_schema(path: Path, schema: str) -> None:
    # The builtin schemas ship inside check-jsonschema: no network is needed.
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stack_list_covers_every_committed_stack_file() -> None:
    outputs = list_stacks()
    assert set(outputs["all"]) == committed_stacks()
    assert set(outputs["non_production"]) | set(outputs["production"]) == committed_stacks()


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
    script = workflow("pull-request.yml")["jobs"]["comment"]["steps"][-1]["with"]["script"]
    assert "<!-- pulumi-preview:${stack} -->" in script
    assert "updateComment" in script
    assert "createComment" in script


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


def test_drift_check_runs_for_every_stack_and_fails_on_changes() -> None:
    job = workflow("scheduled.yml")["jobs"]["drift-check"]
    assert job["strategy"]["matrix"]["stack"] == MATRIX_OF_ALL
    text = run_text(job)
    assert "pulumi preview $POLICY_ARGS --refresh --expect-no-changes" in text
    assert "GITHUB_STEP_SUMMARY" in text
    assert 'exit "$status"' in text


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


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_level_permissions_grant_nothing(path: Path) -> None:
    assert load(path)["permissions"] in ({}, {"contents": "read"})


def test_pull_requests_write_only_on_the_job_that_comments() -> None:
    writers = {
        (file, name) for file, name, job in all_jobs() if job.get("permissions", {}).get("pull-requests") == "write"
    }
    assert writers == {("pull-request.yml", "comment")}
    comment_job = workflow("pull-request.yml")["jobs"]["comment"]
    assert comment_job["permissions"] == {"pull-requests": "write"}
    assert not any("run" in step for step in comment_job["steps"])  # it runs no project code


def test_id_token_write_only_on_jobs_that_talk_to_azure() -> None:
    for file, name, job in all_jobs():
        talks_to_azure = SETUP_ACTION in uses(job)
        has_token = job.get("permissions", {}).get("id-token") == "write"
        assert has_token == talks_to_azure, (file, name)
        if talks_to_azure:
            assert job["env"]["ARM_USE_OIDC"] == "true", (file, name)
            assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.ARM_CLIENT_ID }}", (file, name)


def test_no_job_holds_a_write_permission_it_does_not_use() -> None:
    allowed_writes = {"id-token", "pull-requests"}
    for file, name, job in all_jobs():
        permissions = job.get("permissions")
        assert permissions is not None, f"{file}:{name} inherits the workflow's permissions"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= allowed_writes, (file, name, writes)


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda path: str(path.relative_to(GITHUB)))
def test_no_long_lived_azure_credential_is_referenced(path: Path) -> None:
    text = path.read_text()
    for credential in LONG_LIVED_AZURE_CREDENTIALS:
        assert credential.lower() not in text.lower(), credential


def test_every_action_is_pinned_to_an_exact_version() -> None:
    references: list[str] = []
    for path in WORKFLOWS + ACTIONS:
        document = load(path)
        steps = [step for job in document.get("jobs", {}).values() for step in job.get("steps", [])]
        steps += document.get("runs", {}).get("steps", [])
        references += [step["uses"] for step in steps if "uses" in step]
    assert references
    for reference in references:
        assert reference.startswith("./") or PINNED_USES.match(reference), reference


def test_pulumi_cli_matches_the_pinned_sdk() -> None:
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert sdk is not None
    steps = load(GITHUB / "actions" / "pulumi-setup" / "action.yml")["runs"]["steps"]
    cli = [step["with"]["pulumi-version"] for step in steps if step.get("uses", "").startswith("pulumi/actions@")]
    assert cli == [sdk.group(1)]


def test_every_preview_and_deployment_runs_the_policy_pack() -> None:
    setup = (ROOT / ".github" / "actions" / "pulumi-setup" / "action.yml").read_text()
    assert "make install policy-install" in setup
    assert 'args="--policy-pack policy"' in setup
    assert '[ "${STACK:-}" = "prod" ]; then args="$args --policy-pack-config policy/prod-config.json"' in setup
    commands = [
        line.strip()
        for path in sorted((ROOT / ".github" / "workflows").glob("*.yml"))
        for line in path.read_text().splitlines()
        if re.match(r"(run: )?pulumi (preview|up)\b", line.strip())
    ]
    assert len(commands) >= 6, commands  # PR preview, two deploys, drift check, two redeploys
    assert [c for c in commands if "$POLICY_ARGS" not in c] == []
