"""The configuration contract (config/settings.py) and what is generated from it
(scripts/config_contract.py): Pulumi.yaml, the README table and the stack-file JSON Schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # installed with check-jsonschema, ships no stubs
import pytest
import yaml
from harness import ROOT, fixture_stacks, stack_file_config

from config.settings import ScimSettings, Settings, keys_of, load_settings, split_namespaces
from config.stack_files import PROJECT_NAME, StackFileError, stack_names
from scripts import config_contract

SCHEMA = json.loads((ROOT / config_contract.SCHEMA_PATH).read_text())


def test_generated_files_are_fresh() -> None:
    stale = config_contract.stale_files(ROOT)
    assert not stale, f"stale: {stale}; run `make contract` and commit the result"


def test_a_change_to_a_declaration_makes_the_files_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("Pulumi.yaml", "README.md", ".pulumi.version"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "schema").mkdir()
    shutil.copy(ROOT / config_contract.SCHEMA_PATH, tmp_path / config_contract.SCHEMA_PATH)
    assert config_contract.stale_files(tmp_path) == []
    original = config_contract.readme_table
    monkeypatch.setattr(config_contract, "readme_table", lambda: original().replace("PKCE", "Pkce"))
    assert config_contract.stale_files(tmp_path) == ["README.md"]


def test_every_key_is_declared_once_with_a_description() -> None:
    names = [spec.name for _, spec in keys_of(Settings)] + [f"scim.{spec.name}" for _, spec in keys_of(ScimSettings)]
    assert len(names) == len(set(names))
    assert all(spec.description.endswith(".") for _, spec in [*keys_of(Settings), *keys_of(ScimSettings)])


def test_pulumi_yaml_declares_only_keys_the_cli_can_check_without_surprises() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    # A declared key without a default is required by the CLI: only the account ID may be so.
    assert [name for name, entry in declared.items() if "default" not in entry] == ["cloudflareAccountId"]
    assert declared["protect"]["default"] is True
    assert "teamName" not in declared and "scim" not in declared and "scimSecret" not in declared
    assert project["stackConfigDir"] == "stacks" and project["name"] == PROJECT_NAME
    version = (ROOT / ".pulumi.version").read_text().strip()
    assert project["requiredPulumiVersion"] == f">={version} <4.0.0"


def test_readme_table_lists_every_key_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    for _, spec in keys_of(Settings):
        assert f"| `{spec.name}` |" in readme, spec.name
    assert "| `scim.identityUpdateBehavior` | string | `reauth` |" in readme
    assert "| `protect` | boolean | `true` |" in readme
    assert "| `cloudflareAccountId` | string | required |" in readme


@pytest.mark.parametrize("stack", fixture_stacks())
def test_fixture_stack_files_once_edited_satisfy_the_schema(stack: str) -> None:
    jsonschema.validate({"config": stack_file_config(stack)}, SCHEMA)


@pytest.mark.parametrize(
    "config",
    [
        {f"{PROJECT_NAME}:loginAppName": ["a", "b"]},
        {f"{PROJECT_NAME}:protet": True},
        {"entra-cloudfare:protect": True},
        {f"{PROJECT_NAME}:scim": {"userDeprovisioning": True}},
        {f"{PROJECT_NAME}:prompt": "always"},
        {f"{PROJECT_NAME}:scimSecret": "plain-text"},
        {f"{PROJECT_NAME}:secretRotationDays": 0},
        {f"{PROJECT_NAME}:pkceEnabled": "yes"},
        {f"{PROJECT_NAME}:secretRotationDays": "30 days"},
        {"cloudflare:protect": False},
        {"azuread:tenantID": "x"},
        {"cloudflare:apiToken": "plain-text"},
        {f"{PROJECT_NAME}:scimSecret": {"secure": ""}},
    ],
)
def test_schema_refuses_what_the_validator_refuses(config: dict[str, Any]) -> None:
    document = {"config": {f"{PROJECT_NAME}:cloudflareAccountId": "0" * 32, **config}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.parametrize(
    "config",
    [
        {f"{PROJECT_NAME}:pkceEnabled": "false", f"{PROJECT_NAME}:secretRotationDays": "60"},
        {f"{PROJECT_NAME}:signInGroups": '["Engineering"]'},
        {"azuread:tenantId": "x", "cloudflare:apiToken": {"secure": "v1:Y2lwaGVy"}, "pulumi:tags": {}},
        {"protect": False},
    ],
)
def test_schema_accepts_what_the_validator_accepts(config: dict[str, Any]) -> None:
    """Values as `pulumi config set` stores them (top-level values as strings) and provider settings."""
    raw = {f"{PROJECT_NAME}:cloudflareAccountId": "0" * 32, f"{PROJECT_NAME}:signInGroups": ["Engineering"], **config}
    jsonschema.validate({"config": raw}, SCHEMA)
    own, others = split_namespaces(raw)
    load_settings(own, "dev", others)


def test_editors_are_pointed_at_the_schema() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"]["./schema/stack-config.schema.json"] == [
        "stacks/Pulumi.*.yaml",
        "stacks/Pulumi.*.yml",
    ]


def test_stack_names_accept_yml_and_refuse_a_stack_with_two_files(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.a.yaml").write_text("config: {}\n")
    (tmp_path / "stacks" / "Pulumi.b.yml").write_text("config: {}\n")
    assert stack_names(tmp_path) == ["a", "b"]
    (tmp_path / "stacks" / "Pulumi.a.yml").write_text("config: {}\n")
    with pytest.raises(StackFileError, match="two stack files"):
        stack_names(tmp_path)


def test_schema_requires_the_account_id_in_either_form() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"config": {f"{PROJECT_NAME}:protect": True}}, SCHEMA)
    jsonschema.validate({"config": {"cloudflareAccountId": "0" * 32}}, SCHEMA)
