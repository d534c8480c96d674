"""ops/needs.py: the one table of what each command needs, and the check that names it all at once.
The same check behind make is tested through scripts/stack.sh in tests/test_stack_script.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import minimal_config, write_stack_file

from ops.credentials import endpoints_from_env
from ops.needs import COMMANDS, Need, check, passphrase_needed
from ops.sign_in import sign_in_problem

MANAGED_IDENTITY = {"CLOUDFLARE_API_TOKEN": "t", "ARM_USE_MSI": "true", "ARM_TENANT_ID": "t", "PATH": "/nonexistent"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_stack_file(tmp_path, "qa", minimal_config())
    return tmp_path


@pytest.mark.parametrize(
    ("provider", "backend", "needed"),
    [
        (None, "file:///state", True),
        ("default", "s3://bucket", True),
        ("passphrase", "https://api.pulumi.com", True),
        (None, "https://api.pulumi.com", False),
        ("awskms://alias/x", "file:///state", False),
        ("azurekeyvault://vault/keys/k", "azblob://container", False),
    ],
)
def test_the_passphrase_is_needed_where_pulumi_encrypts_with_it(
    provider: str | None, backend: str, needed: bool
) -> None:
    assert passphrase_needed(provider, backend) is needed


def test_the_table_gives_adopt_no_state_and_no_cli() -> None:
    assert COMMANDS["adopt"].needs == {Need.CLOUDFLARE_TOKEN, Need.ENTRA}
    for command in ("up", "preview", "rotate-now", "verify"):
        assert COMMANDS[command].needs == set(Need)


def test_a_managed_identity_meets_the_entra_need(root: Path) -> None:
    settings, problems = check("adopt", "qa", MANAGED_IDENTITY, root)
    assert settings is not None and problems == []


def test_verify_run_directly_names_the_passphrase_and_the_cli_that_adopt_does_not_need(root: Path) -> None:
    _, problems = check("verify", "qa", MANAGED_IDENTITY, root)
    assert [problem.split(" ")[0] for problem in problems] == ["PULUMI_CONFIG_PASSPHRASE", "the"]
    assert problems[1].startswith("the Pulumi CLI is not on PATH")
    assert "'make verify STACK=qa'" in problems[1]
    _, provided = check("verify", "qa", {**MANAGED_IDENTITY, "PULUMI_CONFIG_PASSPHRASE": ""}, root, cli_provided=True)
    assert provided == []


def test_a_secret_without_its_tenant_is_refused_before_anything_runs(root: Path) -> None:
    environ = {"CLOUDFLARE_API_TOKEN": "t", "ARM_CLIENT_ID": "app", "ARM_CLIENT_SECRET": "s", "PATH": "/nonexistent"}
    _, problems = check("adopt", "qa", environ, root)
    assert problems == ["ARM_TENANT_ID: the tenant of the service principal named by ARM_CLIENT_ID"]


def test_bad_config_and_missing_pieces_come_in_one_list(root: Path) -> None:
    write_stack_file(root, "qa", minimal_config(teamName="Not A Team!"))
    _, problems = check("adopt", "qa", {"PATH": "/nonexistent"}, root)
    assert problems[0].startswith("invalid stack configuration: teamName: got 'Not A Team!'")
    assert problems[1].startswith("CLOUDFLARE_API_TOKEN: a Cloudflare API token with 'Access: Organizations")
    assert problems[1].endswith("(docs/adopt.md, Before you start)")
    assert problems[2].startswith("Entra credentials: neither ARM_* variables nor the Azure CLI")
    assert len(problems) == 3


def test_the_check_chooses_the_sign_in_without_building_a_credential(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building one imports azure-identity (a third of a second): the command that signs in does it.
    def build(*args: object) -> None:
        raise AssertionError("needs.check built a credential")

    monkeypatch.setattr("ops.credentials.entra_credential", build)
    environ = {"CLOUDFLARE_API_TOKEN": "t", "ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t", "ARM_CLIENT_SECRET": "s"}
    assert check("adopt", "qa", environ, root)[1] == []


def test_a_wrong_cloud_and_a_missing_sign_in_are_both_named(root: Path) -> None:
    environ = {"CLOUDFLARE_API_TOKEN": "t", "ARM_ENVIRONMENT": "mars", "ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t"}
    _, problems = check("adopt", "qa", environ, root)
    assert problems[0] == "ARM_ENVIRONMENT='mars' is not one of public, usgovernment, china"
    assert problems[1].startswith("Entra credentials for ARM_CLIENT_ID: set ARM_USE_OIDC=true (CI)")
    assert len(problems) == 2


def test_a_passphrase_file_that_is_not_there_is_named(root: Path) -> None:
    environ = {**MANAGED_IDENTITY, "PULUMI_CONFIG_PASSPHRASE_FILE": str(root / "missing")}
    _, problems = check("up", "qa", environ, root, cli_provided=True)
    assert problems == [
        f"PULUMI_CONFIG_PASSPHRASE_FILE={str(root / 'missing')!r} names no file: point it at the passphrase's file"
    ]
    (root / "missing").write_text("secret\n")
    assert check("up", "qa", environ, root, cli_provided=True)[1] == []


def test_a_refused_sign_in_names_the_fix_for_the_credential_in_use() -> None:
    refused = RuntimeError("AADSTS700016: Application not found in the directory")
    endpoints = endpoints_from_env({})
    assert sign_in_problem(refused, endpoints, {}) == (
        "Entra sign-in failed: AADSTS700016: Application not found in the directory "
        "(run 'az login --allow-no-subscriptions' again)"
    )
    for arm in ({"ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t"}, {"ARM_USE_MSI": "true", "ARM_TENANT_ID": "t"}):
        problem = sign_in_problem(refused, endpoints, arm)
        assert problem.endswith("(check the ARM_* variables, docs/verify.md, Environment variables)")
        assert "az login" not in problem


def test_an_azure_cli_sign_in_is_told_to_sign_in_again_whatever_login_url_is_set() -> None:
    # The Azure CLI never goes through ENTRA_CF_LOGIN_URL, so that URL cannot be what failed.
    endpoints = endpoints_from_env({"ENTRA_CF_LOGIN_URL": "https://login.proxy.example"})
    expired = RuntimeError("AADSTS700082: The refresh token has expired due to inactivity")
    assert sign_in_problem(expired, endpoints, {}).endswith("(run 'az login --allow-no-subscriptions' again)")
    service_principal = {"ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t"}
    assert "ENTRA_CF_LOGIN_URL=https://login.proxy.example" in sign_in_problem(expired, endpoints, service_principal)
