"""`make verify`'s attribute-mappings check (ops/verify.py, `entra.scim.attribute-mappings`) against
the fake tenant of tests/verify_fakes.py plus the job schema of tests/schema_fakes.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import respx
from schema_fakes import FakeSchemaGraph, attribute, default_scim_schema, user_mapping_of
from verify_fakes import (
    CLOUDFLARE_TOKEN,
    STACK_FILE,
    FakeCredential,
    FakeTenant,
    stack_export,
    stack_outputs,
    write_project,
)

from ops.verify import Runtime, main

CHECK = "entra.scim.attribute-mappings"
MAPPINGS = """    userAttributes:
      userName: mail
      displayName: Join(" ", [givenName], [surname])
"""


def verify(tmp_path: Path, schema: FakeSchemaGraph, stack_file: str = STACK_FILE) -> dict[str, dict[str, Any]]:
    bin_dir = write_project(tmp_path, outputs=stack_outputs(), export=stack_export())
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(stack_file)
    # verify reads the client secret from the state: it needs the passphrase (empty is one Pulumi accepts).
    environ = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
        "PULUMI_CONFIG_PASSPHRASE": "",
    }

    async def sleep(_seconds: float) -> None:
        return None

    runtime = Runtime(environ=environ, credential=FakeCredential(), sleep=sleep, root=tmp_path)
    stdout, stderr = io.StringIO(), io.StringIO()
    with respx.mock(assert_all_called=False) as router:
        FakeTenant().install(router)
        schema.install(router)
        main(["--stack", "dev", "--json"], runtime, stdout, stderr)
    assert not stderr.getvalue(), stderr.getvalue()
    return {check["id"]: check for check in json.loads(stdout.getvalue())["checks"]}


def with_mappings() -> str:
    text = STACK_FILE.replace("    identityUpdateBehavior: reauth\n", "    identityUpdateBehavior: reauth\n" + MAPPINGS)
    assert MAPPINGS in text
    return text


def deployed() -> FakeSchemaGraph:
    """The schema after a deployment of MAPPINGS (Graph spaced the expression its own way)."""
    schema = default_scim_schema()
    user_name = user_mapping_of(schema, "userName")
    display_name = user_mapping_of(schema, "displayName")
    assert user_name is not None and display_name is not None
    user_name["source"] = attribute("mail")
    display_name["source"] = {
        "expression": 'Join(" ",[givenName],[surname])',
        "name": "Join",
        "parameters": [
            {"key": "parameter1", "value": {"expression": '" "', "name": " ", "parameters": [], "type": "Constant"}},
            {"key": "parameter2", "value": attribute("givenName")},
            {"key": "parameter3", "value": attribute("surname")},
        ],
        "type": "Function",
    }
    return FakeSchemaGraph(schema=schema)


def test_no_check_without_declared_mappings(tmp_path: Path) -> None:
    assert CHECK not in verify(tmp_path, FakeSchemaGraph())


def test_the_check_holds_when_every_managed_mapping_is_live(tmp_path: Path) -> None:
    check = verify(tmp_path, deployed(), with_mappings())[CHECK]
    assert (check["status"], check["reason"]) == ("holds", "all 5 managed mappings hold")


def test_a_mapping_changed_in_the_portal_fails_and_is_named(tmp_path: Path) -> None:
    schema = deployed()
    user_name = user_mapping_of(schema.schema, "userName")
    assert user_name is not None
    user_name["source"] = attribute("userPrincipalName")
    check = verify(tmp_path, schema, with_mappings())[CHECK]
    assert check["status"] == "fails"
    assert check["reason"] == (
        "changed outside the stack: userName <- userPrincipalName, declared mail; redeploy to write them back"
    )


def test_a_never_deployed_mapping_fails(tmp_path: Path) -> None:
    check = verify(tmp_path, FakeSchemaGraph(), with_mappings())[CHECK]
    assert check["status"] == "fails"
    assert "userName <- userPrincipalName, declared mail" in check["reason"]
    assert 'displayName <- displayName, declared Join(" ", [givenName], [surname])' in check["reason"]


def test_without_read_permission_the_check_fails_naming_it(tmp_path: Path) -> None:
    schema = deployed()
    schema.permissions = set()
    check = verify(tmp_path, schema, with_mappings())[CHECK]
    assert check["status"] == "fails" and "Synchronization.Read.All" in check["reason"]
