"""GitHub Actions (.github/): schema-valid, zizmor-clean, pinned to known commits, and held to
this project's own CI rules.

zizmor (run offline below) covers the generic hardening: unpinned actions, permissions, template
injection, credential persistence, environment-file writes. The tests here keep what no linter
knows: which identity and which secrets each trigger may use (a pull request only the read-only
preview credentials; the deployer, the write token and the production passphrase only in the
environments that hold them), that production stacks run only in their protected environments,
one concurrency group per stack, OIDC instead of stored Azure secrets, the policy pack on every
pulumi command with the strict config for production stacks, verify (and the canary) after every
deployment, and the CLI pin file.

Offline and fast: the GitHub and Dependabot schemas are the copies bundled in check-jsonschema,
and the stack lists are produced by running the same script the workflows run, on stack files
the tests write themselves.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
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
from harness import copy_fixture_stacks, fixture_stacks, write_stack_file

from config.settings import load_settings
from scripts import grant_manifest

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

PRODUCTION_ENVIRONMENT = "production"
MATRIX_OF_ALL = "${{ fromJSON(needs.stacks.outputs.all) }}"
MATRIX_OF_NON_PRODUCTION = "${{ fromJSON(needs.stacks.outputs.non_production) }}"
PRODUCTION_MATRIX = "${{ fromJSON(needs.stacks.outputs.production) }}"
POLICY_ARGS_FROM_SETUP = "${{ steps.setup.outputs.policy-args }}"
VERIFY = 'make verify STACK="$STACK"'
SDK_PINS = ("pulumi", "pulumi-azuread", "pulumi-cloudflare")

# Every action in use, at the tag and commit checked against the action's own repository
# (docs/ci.md, "Pins, and how they stay current"). A Dependabot pull request that moves a pin must
# move it here too, after checking that the commit is that tag's.
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


@functools.cache
def _parsed(path: Path) -> dict[str, Any]:
    # libyaml's SafeLoader: the same YAML 1.1 reading as yaml.safe_load, without its pure-Python cost.
    document = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def load(path: Path) -> dict[str, Any]:
    """The file's document, parsed once per run; each caller gets its own copy to change."""
    return copy.deepcopy(_parsed(path))


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


def test_there_are_workflows_to_check() -> None:
    assert {path.name for path in WORKFLOWS} == {"pull-request.yml", "deploy.yml", "scheduled.yml"}
    assert [path.parent.name for path in ACTIONS] == ["pulumi-setup"]


@pytest.mark.parametrize(
    ("schema", "paths"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS), ("vendor.dependabot", [DEPENDABOT])],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_file_validates_against_its_schema(schema: str, paths: list[Path]) -> None:
    # The builtin schemas ship inside check-jsonschema: no network is needed. One run per schema
    # checks all its files and names each one that fails.
    assert paths
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
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


# --- Stack lists: production by declaration, never by name (issue 18) --------------------------


def write_stack(root: Path, stack: str, production: bool | None) -> None:
    """A minimal stack file of this test's own: placeholders allowed, `production` as given."""
    config = {"cloudflareAccountId": "<your Cloudflare account ID>", "signInGroups": ["Cloudflare Access Users"]}
    write_stack_file(root, stack, config if production is None else {**config, "production": production})


def test_stack_list_sorts_stacks_by_their_production_setting_not_their_name(tmp_path: Path) -> None:
    write_stack(tmp_path, "acme-prod", production=None)  # the default: production
    write_stack(tmp_path, "acme", production=True)
    write_stack(tmp_path, "acme-dev", production=False)
    write_stack(tmp_path, "prod", production=False)  # a name proves nothing
    assert list_stacks("--root", str(tmp_path)) == {
        "all": ["acme", "acme-dev", "acme-prod", "prod"],
        "non_production": ["acme-dev", "prod"],
        "production": ["acme", "acme-prod"],
    }


def test_stack_list_of_one_stack_keeps_its_class(tmp_path: Path) -> None:
    write_stack(tmp_path, "acme-prod", production=None)
    write_stack(tmp_path, "acme-dev", production=False)
    assert list_stacks("--root", str(tmp_path), "--only", "acme-prod") == {
        "all": ["acme-prod"],
        "non_production": [],
        "production": ["acme-prod"],
    }


def test_stack_list_puts_every_stack_file_in_exactly_one_list(tmp_path: Path) -> None:
    copy_fixture_stacks(tmp_path)
    outputs = list_stacks("--root", str(tmp_path))
    assert outputs["all"] == fixture_stacks() == ["dev", "prod"]
    assert (outputs["non_production"], outputs["production"]) == (["dev"], ["prod"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--only", "no-such-stack"), "unknown stack 'no-such-stack'; expected one of acme-dev"),
        ((), "stack 'broken': invalid stack configuration"),
    ],
)
def test_stack_list_refuses_what_it_cannot_sort(tmp_path: Path, arguments: tuple[str, ...], message: str) -> None:
    write_stack(tmp_path, "acme-dev", production=False)
    if not arguments:
        (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text("config:\n  entra-cloudflare:production: maybe\n")
    result = subprocess.run(
        [sys.executable, str(LIST_STACKS), "--root", str(tmp_path), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_stack_lists_come_from_the_script_after_the_project_is_installed() -> None:
    for name in ("pull-request.yml", "deploy.yml", "scheduled.yml"):
        job = workflow(name)["jobs"]["stacks"]
        text = run_text(job)
        assert text.index("make install") < text.index("venv/bin/python .github/scripts/list_stacks.py"), name
        assert set(job["outputs"]) >= {"non_production", "production"}, name


def test_each_stack_list_is_the_scripts_list_of_that_name() -> None:
    # The matrices trust these names: `non_production` fed from the script's `all` would deploy or
    # preview production stacks in the jobs without a protected environment.
    for name in ("pull-request.yml", "deploy.yml", "scheduled.yml"):
        outputs = workflow(name)["jobs"]["stacks"]["outputs"]
        assert outputs == {list_name: f"${{{{ steps.list.outputs.{list_name} }}}}" for list_name in outputs}, name


# --- Who may use which secret (issue 22) --------------------------------------------------------
#
# Each check returns its problems, so a test can prove it fails by running it on a mutated copy.

DEPLOYER_CLIENT_ID = "vars.ARM_CLIENT_ID"
WRITE_TOKEN = "secrets.CLOUDFLARE_API_TOKEN"
DEPLOYER_PULUMI_TOKEN = "secrets.PULUMI_ACCESS_TOKEN"
PRODUCTION_PASSPHRASE = "secrets.PULUMI_PRODUCTION_CONFIG_PASSPHRASE"
NON_PRODUCTION_PASSPHRASE = "secrets.PULUMI_NON_PRODUCTION_CONFIG_PASSPHRASE"
PREVIEW_CLIENT_ID = "vars.ENTRA_CF_PREVIEW_CLIENT_ID"
# Environments GitHub lets only main reach (deployment branches: main), one with reviewers, and
# the one whose reviewers approve a pull request's production preview.
MAIN_BRANCH_ENVIRONMENT = "main-branch"
PRODUCTION_PREVIEW_ENVIRONMENT = "production-preview"
# What a job must name as its environment before it may reference each credential.
PROTECTED_CREDENTIALS = {
    DEPLOYER_CLIENT_ID: {PRODUCTION_ENVIRONMENT, MAIN_BRANCH_ENVIRONMENT},
    WRITE_TOKEN: {PRODUCTION_ENVIRONMENT, MAIN_BRANCH_ENVIRONMENT},
    DEPLOYER_PULUMI_TOKEN: {PRODUCTION_ENVIRONMENT, MAIN_BRANCH_ENVIRONMENT},
    PRODUCTION_PASSPHRASE: {PRODUCTION_ENVIRONMENT, MAIN_BRANCH_ENVIRONMENT, PRODUCTION_PREVIEW_ENVIRONMENT},
}
# Everything a pull request's jobs may reference: the read-only preview identity and token, the
# state's location, and the passphrases (production's only behind production-preview, above).
PREVIEW_REFERENCES = {
    PREVIEW_CLIENT_ID,
    "vars.ARM_TENANT_ID",
    "vars.PULUMI_BACKEND_URL",
    "vars.AZURE_STORAGE_ACCOUNT",
    "secrets.CLOUDFLARE_PREVIEW_API_TOKEN",
    "secrets.PULUMI_PREVIEW_ACCESS_TOKEN",
    NON_PRODUCTION_PASSPHRASE,
    PRODUCTION_PASSPHRASE,
}
REFERENCE = re.compile(r"\b(?:secrets|vars)\.[A-Za-z_][A-Za-z0-9_]*")
# Forms that reach secrets or variables by a computed name, which no list above can check.
COMPUTED_REFERENCE = re.compile(r"\b(?:secrets|vars)\s*\[|\(\s*(?:secrets|vars)\s*\)")


def triggers(document: dict[str, Any]) -> set[str]:
    on = document["on"]
    return {on} if isinstance(on, str) else set(on)


def environment_of(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def job_references(document: dict[str, Any], job: dict[str, Any]) -> tuple[set[str], bool]:
    """The `secrets.X` / `vars.X` a job can see (its own and the workflow's env), and whether it
    also reaches secrets in a way no list can check (a computed name, `secrets: inherit`)."""
    text = json.dumps([document.get("env"), job])
    computed = bool(COMPUTED_REFERENCE.search(text)) or job.get("secrets") == "inherit"
    return set(REFERENCE.findall(text)), computed


def pull_request_target_problems(document: dict[str, Any]) -> list[str]:
    return ["pull_request_target runs a pull request with this repository's secrets"] * (
        "pull_request_target" in triggers(document)
    )


def pull_request_credential_problems(document: dict[str, Any]) -> list[str]:
    """A job a pull request starts may use the preview credentials only."""
    if not triggers(document) & {"pull_request", "pull_request_target"}:
        return []
    problems = []
    for name, job in document["jobs"].items():
        references, computed = job_references(document, job)
        problems += [
            f"{name}: {reference} is not a preview credential" for reference in references - PREVIEW_REFERENCES
        ]
        if computed:
            problems.append(f"{name}: reaches secrets or variables by a computed name or inherit")
    return problems


def protected_credential_problems(document: dict[str, Any]) -> list[str]:
    """The deployer, the write token and the production passphrase only behind their environments."""
    problems = []
    for name, job in document["jobs"].items():
        references, computed = job_references(document, job)
        environment = environment_of(job)
        for reference in sorted(references & set(PROTECTED_CREDENTIALS)):
            if environment not in PROTECTED_CREDENTIALS[reference]:
                problems.append(f"{name}: {reference} in environment {environment!r}")
        if computed and environment is None:
            problems.append(f"{name}: reaches secrets or variables by a computed name outside an environment")
    return problems


def production_environment_problems(document: dict[str, Any]) -> list[str]:
    """Production stacks run only in their protected environment: a deployment in `production`, a
    pull request's preview in `production-preview`, the scheduled drift check in `main-branch`."""
    problems = []
    is_pull_request = bool(triggers(document) & {"pull_request", "pull_request_target"})
    for name, job in document["jobs"].items():
        # Jobs that can reach nothing (no secret, no variable, no OIDC token) may list any stacks.
        if not (job_references(document, job)[0] or job.get("permissions", {}).get("id-token")):
            continue
        matrix = job.get("strategy", {}).get("matrix", {}).get("stack")
        environment = environment_of(job)
        if matrix == MATRIX_OF_NON_PRODUCTION:
            if deploys(job) and environment != MAIN_BRANCH_ENVIRONMENT:
                problems.append(f"{name}: deploys non-production stacks outside {MAIN_BRANCH_ENVIRONMENT}")
            continue
        if matrix not in (PRODUCTION_MATRIX, MATRIX_OF_ALL):
            problems.append(f"{name}: runs stacks from {matrix!r}, not one of the lists of list_stacks.py")
            continue
        if is_pull_request:
            expected = PRODUCTION_PREVIEW_ENVIRONMENT if matrix == PRODUCTION_MATRIX else "(none: never every stack)"
        elif deploys(job):
            expected = PRODUCTION_ENVIRONMENT if matrix == PRODUCTION_MATRIX else "(none: never every stack)"
        else:
            expected = MAIN_BRANCH_ENVIRONMENT
        if environment != expected:
            problems.append(f"{name}: runs production stacks in environment {environment!r}, expected {expected}")
    return problems


CHECKS = (
    pull_request_target_problems,
    pull_request_credential_problems,
    protected_credential_problems,
    production_environment_problems,
)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_passes_the_credential_checks(check: Any, path: Path) -> None:
    assert check(load(path)) == []


def mutated(name: str, change: Any) -> dict[str, Any]:
    document = copy.deepcopy(workflow(name))
    change(document)
    return document


def test_pull_request_target_is_refused() -> None:
    def add_trigger(document: dict[str, Any]) -> None:
        document["on"]["pull_request_target"] = {"branches": ["main"]}

    assert pull_request_target_problems(mutated("pull-request.yml", add_trigger))
    assert pull_request_target_problems({"on": "pull_request_target", "jobs": {}})
    assert pull_request_credential_problems(mutated("deploy.yml", lambda d: d.update(on="pull_request_target")))


@pytest.mark.parametrize(
    ("job", "variable", "value"),
    [
        ("preview", "ARM_CLIENT_ID", "${{ vars.ARM_CLIENT_ID }}"),
        ("preview", "CLOUDFLARE_API_TOKEN", "${{ secrets.CLOUDFLARE_API_TOKEN }}"),
        ("preview-production", "PULUMI_ACCESS_TOKEN", "${{ secrets.PULUMI_ACCESS_TOKEN }}"),
        ("preview", "EVERYTHING", "${{ toJSON(secrets) }}"),
        ("comment", "TOKEN", "${{ secrets[format('{0}', 'CLOUDFLARE_API_TOKEN')] }}"),
    ],
)
def test_a_pull_request_job_referencing_a_deployer_credential_fails(job: str, variable: str, value: str) -> None:
    document = mutated("pull-request.yml", lambda d: d["jobs"][job].setdefault("env", {}).update({variable: value}))
    assert pull_request_credential_problems(document)


def test_a_workflow_level_env_counts_for_every_pull_request_job() -> None:
    document = mutated("pull-request.yml", lambda d: d.update(env={"TOKEN": "${{ secrets.CLOUDFLARE_API_TOKEN }}"}))
    assert len(pull_request_credential_problems(document)) == len(document["jobs"])


@pytest.mark.parametrize(
    ("name", "job", "environment"),
    [
        ("deploy.yml", "deploy", None),
        ("deploy.yml", "deploy-production", None),
        ("scheduled.yml", "drift-check", None),
        ("scheduled.yml", "redeploy-production", PRODUCTION_PREVIEW_ENVIRONMENT),
        ("pull-request.yml", "preview-production", None),
    ],
)
def test_a_protected_credential_outside_its_environment_fails(name: str, job: str, environment: str | None) -> None:
    def move(document: dict[str, Any]) -> None:
        if environment is None:
            del document["jobs"][job]["environment"]
        else:
            document["jobs"][job]["environment"] = environment

    assert protected_credential_problems(mutated(name, move))


def test_a_passphrase_or_write_token_in_a_job_without_environment_fails() -> None:
    for reference in ("${{ secrets.PULUMI_PRODUCTION_CONFIG_PASSPHRASE }}", "${{ secrets.CLOUDFLARE_API_TOKEN }}"):
        document = mutated("pull-request.yml", lambda d: d["jobs"]["preview"]["env"].update(X=reference))  # noqa: B023
        assert protected_credential_problems(document)


@pytest.mark.parametrize(
    ("name", "job", "field", "value"),
    [
        ("deploy.yml", "deploy-production", "environment", MAIN_BRANCH_ENVIRONMENT),
        ("deploy.yml", "deploy", "matrix", MATRIX_OF_ALL),
        ("deploy.yml", "deploy", "environment", None),
        ("scheduled.yml", "redeploy-production", "environment", PRODUCTION_PREVIEW_ENVIRONMENT),
        ("scheduled.yml", "drift-check", "environment", None),
        ("pull-request.yml", "preview-production", "environment", None),
        ("pull-request.yml", "preview", "matrix", MATRIX_OF_ALL),
        ("pull-request.yml", "preview", "matrix", "${{ fromJSON('[\"prod\"]') }}"),
    ],
)
def test_production_stacks_outside_their_environment_fail(name: str, job: str, field: str, value: str | None) -> None:
    def change(document: dict[str, Any]) -> None:
        target = document["jobs"][job]
        if field == "matrix":
            target["strategy"]["matrix"]["stack"] = value
        elif value is None:
            target.pop("environment", None)
        else:
            target["environment"] = value

    assert production_environment_problems(mutated(name, change))


def test_a_comment_job_given_a_secret_falls_under_the_production_rule() -> None:
    document = mutated(
        "pull-request.yml",
        lambda d: d["jobs"]["comment"].update(env={"X": "${{ secrets.CLOUDFLARE_PREVIEW_API_TOKEN }}"}),
    )
    assert production_environment_problems(document)


def setup_step(number: int) -> str:
    """One numbered step of docs/ci.md's "Setting up CI", as text."""
    text = (ROOT / "docs" / "ci.md").read_text()
    return text.split(f"\n### {number}. ", 1)[1].split("\n### ", 1)[0]


def test_the_setup_docs_federate_and_grant_each_identity_as_the_workflows_expect() -> None:
    deployer, preview = setup_step(2), setup_step(3)
    assert ":pull_request" not in deployer
    assert "for environment in main-branch production; do" in deployer
    assert "repo:$repo:pull_request" in preview
    assert "repo:$repo:environment:production-preview" in preview
    assert "ReadWrite" not in preview
    granted_to_deployer = deployer.split("for permission in ", 1)[1].split("; do", 1)[0].split()
    granted_to_preview = preview.split("for permission in ", 1)[1].split("; do", 1)[0].split()
    assert [name for name in granted_to_deployer if name != "\\"] == list(grant_manifest.DEPLOYER_GRAPH_PERMISSIONS)
    assert granted_to_preview == list(grant_manifest.PREVIEW_GRAPH_PERMISSIONS)


def test_no_workflow_prints_secrets() -> None:
    for path in WORKFLOWS + ACTIONS:
        assert "--show-secrets" not in path.read_text(), path.name


# --- Previews ----------------------------------------------------------------------------------


def test_previews_cover_every_stack_in_two_jobs_and_comment_on_each() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    assert "list_stacks.py" in run_text(jobs["stacks"])
    assert jobs["preview"]["strategy"]["matrix"]["stack"] == MATRIX_OF_NON_PRODUCTION
    assert "environment" not in jobs["preview"]
    assert jobs["preview-production"]["strategy"]["matrix"]["stack"] == PRODUCTION_MATRIX
    assert jobs["preview-production"]["environment"] == PRODUCTION_PREVIEW_ENVIRONMENT
    assert jobs["comment"]["strategy"]["matrix"]["stack"] == MATRIX_OF_ALL
    assert set(jobs["comment"]["needs"]) >= {"preview", "preview-production"}
    for name in ("preview", "preview-production"):
        assert "pulumi preview $POLICY_ARGS --diff" in run_text(jobs[name])
        # The full plan and the policy verdict: a preview never skips the program or the pack.
        assert "--refresh" not in run_text(jobs[name])
        assert "needs.stacks.outputs" in jobs[name]["if"]


def test_previews_sign_in_as_the_preview_identity_with_the_passphrase_of_their_class() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    for name, passphrase in (("preview", NON_PRODUCTION_PASSPHRASE), ("preview-production", PRODUCTION_PASSPHRASE)):
        env = jobs[name]["env"]
        assert env["ARM_CLIENT_ID"] == "${{ " + PREVIEW_CLIENT_ID + " }}", name
        assert env["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_PREVIEW_API_TOKEN }}", name
        assert env["PULUMI_CONFIG_PASSPHRASE"] == "${{ " + passphrase + " }}", name


def test_preview_waits_for_make_test() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    assert "make test" in run_text(jobs["test"])
    assert "test" in jobs["preview"]["needs"]
    assert "test" in jobs["preview-production"]["needs"]


def test_preview_comment_is_one_per_stack_and_updated_in_place() -> None:
    script = steps(workflow("pull-request.yml")["jobs"]["comment"])[-1]["with"]["script"]
    assert "<!-- pulumi-preview:${stack} -->" in script
    assert "updateComment" in script
    assert "createComment" in script


# --- Deployments: where, one at a time, verified -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "unprotected_job", "production_job"),
    [("deploy.yml", "deploy", "deploy-production"), ("scheduled.yml", "redeploy", "redeploy-production")],
)
def test_every_stack_is_deployed_and_production_stacks_only_through_the_protected_environment(
    name: str, unprotected_job: str, production_job: str
) -> None:
    jobs = workflow(name)["jobs"]
    assert jobs[unprotected_job]["strategy"]["matrix"]["stack"] == MATRIX_OF_NON_PRODUCTION
    assert jobs[unprotected_job]["environment"] == MAIN_BRANCH_ENVIRONMENT
    assert jobs[production_job]["strategy"]["matrix"]["stack"] == PRODUCTION_MATRIX
    assert jobs[production_job]["environment"] == PRODUCTION_ENVIRONMENT
    assert jobs[production_job]["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ " + PRODUCTION_PASSPHRASE + " }}"
    assert jobs[unprotected_job]["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ " + NON_PRODUCTION_PASSPHRASE + " }}"
    # Production waits for the other stacks.
    assert unprotected_job in jobs[production_job]["needs"]


def test_only_four_jobs_deploy() -> None:
    deploying = [(file, name) for file, name, job in all_jobs() if deploys(job)]
    assert sorted(deploying) == [
        ("deploy.yml", "deploy"),
        ("deploy.yml", "deploy-production"),
        ("scheduled.yml", "redeploy"),
        ("scheduled.yml", "redeploy-production"),
    ]


def test_pull_requests_never_reach_a_deployment_environment() -> None:
    for name, job in workflow("pull-request.yml")["jobs"].items():
        assert environment_of(job) in (None, PRODUCTION_PREVIEW_ENVIRONMENT), name
        assert not deploys(job), name


def test_deployments_use_one_concurrency_group_per_stack_shared_by_push_and_schedule() -> None:
    groups: dict[str, set[str]] = {}
    for file, name, job in all_jobs():
        if not deploys(job):
            continue
        concurrency = job["concurrency"]
        assert concurrency["cancel-in-progress"] is False, (file, name)
        assert job["env"]["STACK"] == "${{ matrix.stack }}", (file, name)
        groups.setdefault(file, set()).add(concurrency["group"])
    assert groups["deploy.yml"] == groups["scheduled.yml"] == {"pulumi-${{ matrix.stack }}"}


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
    for name in ("redeploy", "redeploy-production"):
        assert 'make rotate-now STACK="$STACK"' in run_text(document["jobs"][name])


# --- The canary after a deployment (issue 19) --------------------------------------------------

CANARY = GITHUB / "scripts" / "canary.sh"
CANARY_USER_FROM_VARIABLE = "${{ fromJSON(vars.ENTRA_CF_CANARY_USERS || '{}')[matrix.stack] }}"


@pytest.mark.parametrize("name", ["deploy", "deploy-production"])
def test_deploy_runs_the_canary_after_verify_when_a_variable_names_one(name: str) -> None:
    job = workflow("deploy.yml")["jobs"][name]
    assert job["env"]["CANARY_USER"] == CANARY_USER_FROM_VARIABLE
    job_steps = steps(job)
    verify = next(index for index, step in enumerate(job_steps) if step.get("run", "").strip() == VERIFY)
    canary = next(index for index, step in enumerate(job_steps) if step.get("run") == ".github/scripts/canary.sh")
    assert canary == verify + 1
    assert job_steps[canary]["if"] == "env.CANARY_USER != ''"


def test_verify_the_canary_and_adopt_run_only_as_the_deployer() -> None:
    """docs/ci.md grants the deployer what verify and the canary need; no other identity runs them."""
    ops_command = re.compile(r"make (?:--[\w-]+ )*(?:verify|adopt)\b|canary\.sh")
    running = [(file, name) for file, name, job in all_jobs() if ops_command.search(run_text(job))]
    assert sorted(running) == [
        ("deploy.yml", "deploy"),
        ("deploy.yml", "deploy-production"),
        ("scheduled.yml", "drift-check"),
        ("scheduled.yml", "redeploy"),
        ("scheduled.yml", "redeploy-production"),
    ]
    for file, name in running:
        job = workflow(file)["jobs"][name]
        assert job["env"]["ARM_CLIENT_ID"] == "${{ " + DEPLOYER_CLIENT_ID + " }}", (file, name)
    assert not any("make adopt" in run_text(job) for _, _, job in all_jobs())


def run_canary(tmp_path: Path, user: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """canary.sh with a `make` of this test's own that records its arguments, one per line."""
    recorded = tmp_path / "make-arguments"
    fake_make = tmp_path / "bin" / "make"
    fake_make.parent.mkdir()
    fake_make.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {recorded}\n')
    fake_make.chmod(0o755)
    result = subprocess.run(
        [str(CANARY)],
        env={"PATH": f"{fake_make.parent}:{os.environ['PATH']}", "STACK": "acme-prod", "CANARY_USER": user},
        capture_output=True,
        text=True,
    )
    return result, recorded


def test_canary_hands_the_user_to_make_verify(tmp_path: Path) -> None:
    result, recorded = run_canary(tmp_path, "canary.user@contoso.example")
    assert result.returncode == 0, result.stderr
    assert recorded.read_text().splitlines() == [
        "verify",
        "STACK=acme-prod",
        "ARGS=--canary canary.user@contoso.example",
    ]


@pytest.mark.parametrize("user", ["x; touch pwned", "$(id)", "a b", "-x", "user'@contoso.example", "x\n::error::y"])
def test_canary_refuses_a_user_a_shell_could_misread(tmp_path: Path, user: str) -> None:
    result, recorded = run_canary(tmp_path, user)
    assert result.returncode == 2
    assert not recorded.exists()
    assert "Canary user refused" in result.stderr
    assert user not in result.stderr


# --- Credentials: OIDC, never a stored Azure secret --------------------------------------------


def test_jobs_that_talk_to_azure_sign_in_through_oidc_as_the_identity_of_their_trigger() -> None:
    talking = [(file, name, job) for file, name, job in all_jobs() if uses_setup_action(job)]
    assert len(talking) == 7  # two previews, two deploys, drift check, two redeploys
    for file, name, job in talking:
        assert job["permissions"].get("id-token") == "write", (file, name)
        assert job["env"]["ARM_USE_OIDC"] == "true", (file, name)
        identity = PREVIEW_CLIENT_ID if file == "pull-request.yml" else DEPLOYER_CLIENT_ID
        assert job["env"]["ARM_CLIENT_ID"] == "${{ " + identity + " }}", (file, name)


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda path: str(path.relative_to(GITHUB)))
def test_no_long_lived_azure_credential_is_referenced(path: Path) -> None:
    text = path.read_text()
    for credential in LONG_LIVED_AZURE_CREDENTIALS:
        assert credential.lower() not in text.lower(), credential


# --- The policy pack on every pulumi command ----------------------------------------------------


def run_policy_step(production: str, tmp_path: Path) -> tuple[int, str]:
    action = load(SETUP_ACTION_FILE)
    assert action["outputs"]["policy-args"]["value"] == "${{ steps.policy.outputs.args }}"
    assert action["inputs"]["production"]["required"] is True
    action_steps = action["runs"]["steps"]
    policy_step = next(step for step in action_steps if step.get("id") == "policy")
    assert policy_step["env"] == {"PRODUCTION": "${{ inputs.production }}"}
    # The pack's venv is built before any pulumi command can use it.
    install = next(index for index, step in enumerate(action_steps) if "policy-install" in step.get("run", ""))
    assert install < action_steps.index(policy_step)
    output = tmp_path / "output"
    output.touch()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", policy_step["run"]],
        env={"PATH": os.environ["PATH"], "PRODUCTION": production, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
    )
    return result.returncode, output.read_text()


@pytest.mark.parametrize(
    ("production", "expected"),
    [
        ("false", "--policy-pack policy"),
        ("true", "--policy-pack policy --policy-pack-config policy/prod-config.json"),
    ],
)
def test_setup_action_gives_each_stack_its_policy_arguments(production: str, expected: str, tmp_path: Path) -> None:
    assert run_policy_step(production, tmp_path) == (0, f"args={expected}\n")


@pytest.mark.parametrize("production", ["", "prod", "True", "1"])
def test_setup_action_refuses_anything_but_true_or_false(production: str, tmp_path: Path) -> None:
    assert run_policy_step(production, tmp_path) == (1, "")


def test_every_job_tells_the_setup_action_whether_its_stacks_are_production() -> None:
    # The strict policy config follows each stack file's `production`, through list_stacks.py's lists.
    expected_by_matrix = {
        PRODUCTION_MATRIX: "true",
        MATRIX_OF_NON_PRODUCTION: "false",
        MATRIX_OF_ALL: "${{ env.PRODUCTION }}",
    }
    for file, name, job in all_jobs():
        for step in steps(job):
            if step.get("uses") != SETUP_ACTION:
                continue
            matrix = job["strategy"]["matrix"]["stack"]
            assert step["with"] == {"production": expected_by_matrix[matrix]}, (file, name)
            if matrix == MATRIX_OF_ALL:
                assert (
                    job["env"]["PRODUCTION"]
                    == "${{ contains(fromJSON(needs.stacks.outputs.production), matrix.stack) }}"
                )


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
                assert any(step.get("id") == "setup" and step.get("uses") == SETUP_ACTION for step in job_steps)
    assert commands == 7  # two PR previews, two deploys, drift check, two redeploys


# --- The Pulumi CLI ----------------------------------------------------------------------------


def test_ci_puts_the_pinned_uv_on_path_before_installing_from_the_locks() -> None:
    action_steps = load(SETUP_ACTION_FILE)["runs"]["steps"]
    runs = [step.get("run", "") for step in action_steps]
    # The same pip arguments as make's (hash-checked, from uv-requirements.txt).
    makefile = (ROOT / "Makefile").read_text()
    arguments = re.search(r"^UV_PIP_INSTALL := (.+)$", makefile, re.MULTILINE)
    assert arguments and "--require-hashes" in arguments.group(1).split()
    uv = runs.index(f"python -m pip install --quiet --disable-pip-version-check {arguments.group(1)}")
    assert uv < runs.index("make install policy-install")


def test_ci_installs_the_cli_from_the_pin_file() -> None:
    action_steps = load(SETUP_ACTION_FILE)["runs"]["steps"]
    installers = [step for step in action_steps if step.get("uses", "").startswith("pulumi/actions@")]
    assert [step["with"] for step in installers] == [{"pulumi-version-file": ".pulumi.version"}]


# --- Dependabot --------------------------------------------------------------------------------


# The stack's uv.lock and the policy pack's.
LOCKS = sorted([*ROOT.glob("uv.lock"), *ROOT.glob("*/uv.lock")])


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
        ("uv", sorted({manifest_directory(path) for path in LOCKS})),
    ],
)
def test_dependabot_moves_each_ecosystem_weekly_in_one_pull_request(ecosystem: str, directories: list[str]) -> None:
    update = dependabot_update(ecosystem)
    assert sorted(update["directories"]) == sorted(directories)
    assert update["schedule"]["interval"] == "weekly"
    [group] = update["groups"].values()
    assert group["patterns"] == ["*"]


def test_dependabot_moves_the_sdk_pins_together() -> None:
    groups = dependabot_update("uv")["groups"]
    holding = {
        group_name
        for package in SDK_PINS
        for group_name, group in groups.items()
        if any(fnmatch.fnmatch(package, pattern) for pattern in group["patterns"])
        and not any(fnmatch.fnmatch(package, pattern) for pattern in group.get("exclude-patterns", []))
    }
    assert len(holding) == 1


# --- The grant manifests name both CI identities ------------------------------------------------

ACCOUNT = "0123456789abcdef0123456789abcdef"
LOGIN_APP_OBJECT_ID = "11111111-2222-3333-4444-555555555555"


def ci_section(
    production: bool, adopt: dict[str, str] | None = None, user_attributes: dict[str, str] | None = None
) -> list[str]:
    raw: dict[str, Any] = {
        "cloudflareAccountId": ACCOUNT,
        "signInGroups": ["Cloudflare Access Users"],
        "production": production,
        "adopt": adopt or {},
        "scim": {"userAttributes": user_attributes or {}},
    }
    text = grant_manifest.render(load_settings(raw, "acme"), "stacks/Pulumi.acme.yaml")
    return text.split("## Who deploys and who previews this stack (CI)\n", 1)[1].splitlines()


def test_manifest_says_where_a_production_stack_is_deployed_and_previewed() -> None:
    lines = ci_section(production=True)
    assert any("in the `production` environment, after one of its required reviewers" in line for line in lines)
    assert any("in the `production-preview` environment" in line for line in lines)
    assert not any("main-branch" in line for line in lines)


def test_manifest_says_where_a_non_production_stack_is_deployed_and_previewed() -> None:
    lines = ci_section(production=False)
    assert any("in the `main-branch` environment, without approval" in line for line in lines)
    assert any("with the non-production passphrase" in line for line in lines)
    assert not any("production-preview" in line for line in lines)


def test_manifest_lists_each_identity_permission_on_its_own_line() -> None:
    lines = ci_section(production=True)
    deployer = [line.split("`")[1] for line in lines if line.startswith("- Deployer, Microsoft Graph")]
    preview = [line.split("`")[1] for line in lines if line.startswith("- Preview identity, Microsoft Graph")]
    assert deployer == [*grant_manifest.DEPLOYER_GRAPH_PERMISSIONS, *grant_manifest.DEPLOYER_CANARY_GRAPH_PERMISSIONS]
    assert preview == ["Application.Read.All", "Group.Read.All"]
    assert f"- Preview identity, Cloudflare token: {grant_manifest.CLOUDFLARE_READ_TOKEN}" in lines


def test_manifest_adds_the_reads_a_preview_of_an_adoption_needs() -> None:
    lines = ci_section(production=False, adopt={"login-app": f"/applications/{LOGIN_APP_OBJECT_ID}"})
    preview = [line.split("`")[1] for line in lines if line.startswith("- Preview identity, Microsoft Graph")]
    assert preview == ["Application.Read.All", "Group.Read.All", "Directory.Read.All", "Synchronization.Read.All"]


def preview_lines(lines: list[str]) -> dict[str, str]:
    return {
        line.split("`")[1]: line.split("`: ", 1)[1]
        for line in lines
        if line.startswith("- Preview identity, Microsoft Graph")
    }


def test_manifest_adds_the_schema_read_a_preview_of_managed_attribute_mappings_needs() -> None:
    preview = preview_lines(ci_section(production=False, user_attributes={"userName": "mail"}))
    assert list(preview) == ["Application.Read.All", "Group.Read.All", "Synchronization.Read.All"]
    assert "scim.userAttributes" in preview["Synchronization.Read.All"]
    both = preview_lines(
        ci_section(
            production=False,
            adopt={"login-app": f"/applications/{LOGIN_APP_OBJECT_ID}"},
            user_attributes={"userName": "mail"},
        )
    )
    assert "adopt block" in both["Synchronization.Read.All"]
    assert "scim.userAttributes" in both["Synchronization.Read.All"]
