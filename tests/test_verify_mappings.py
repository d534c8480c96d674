"""`make verify`'s attribute-mappings check (ops/verify.py, `entra.scim.attribute-mappings`) against
the fake tenant of tests/verify_fakes.py (run by tests/test_verify.py's run_verify) plus the job
schema of tests/schema_fakes.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schema_fakes import FakeSchemaGraph, attribute, default_scim_schema, user_mapping_of
from test_verify import run_verify
from verify_fakes import STACK_FILE

CHECK = "entra.scim.attribute-mappings"
MAPPINGS = """    userAttributes:
      userName: mail
      displayName: Join(" ", [givenName], [surname])
"""


def verify(tmp_path: Path, schema: FakeSchemaGraph, stack_file: str = STACK_FILE) -> dict[str, dict[str, Any]]:
    """Every check of verify on `stack_file`, the job schema answered by `schema`."""
    result = run_verify(tmp_path, also=schema.install, edit_stack=lambda _text: stack_file)
    assert not result.stderr, result.stderr
    return result.checks()


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
