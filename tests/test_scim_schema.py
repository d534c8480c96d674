"""The attribute-mappings dynamic provider (components/scim_schema.py) against a fake Graph.

Create, diff, update, read and delete run directly on `AttributeMappingsProvider`, whose Graph
calls go to tests/schema_fakes.py: a default `scim` job schema with Microsoft's User and Group
mappings. Every write is checked to leave every mapping nobody declared byte-identical.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import dill  # type: ignore[import-untyped]
import httpx
import pytest
import respx
from entra_https_fake import Certificates, FakeEntraLogin, serve
from harness import minimal_config, reveal, run_program
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from schema_fakes import JOB_PATH, FakeSchemaGraph, attribute, user_mapping_of, without_user_targets
from verify_fakes import GRAPH, GRAPH_TOKEN, FakeCredential

from components.attribute_mappings import effective_user_attributes
from components.scim_schema import SIGN_IN_NEEDED, AttributeMappingError, AttributeMappingsProvider, graph_session
from ops.clients import GraphClient, NotFoundError, RetryPolicy, StaticToken
from ops.credentials import endpoints_from_env
from ops.redaction import Secret

ROOT = Path(__file__).resolve().parent.parent
DECLARED = effective_user_attributes({"userName": "mail", "displayName": 'Join(" ", [givenName], [surname])'})
FORMATTED = 'Join(" ", [givenName], [surname])'
DEFAULTS = {'emails[type eq "work"].value': "mail", "name.givenName": "givenName", "name.familyName": "surname"}
# The type token the engine gives every Python dynamic resource.
DYNAMIC = "pulumi-python:dynamic:Resource"


async def _no_sleep(_seconds: float) -> None:
    return None


def session(work: Callable[[GraphClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with endpoints_from_env({}).http_client() as http:
            client = GraphClient(http, GRAPH, StaticToken(Secret(GRAPH_TOKEN)), RetryPolicy(sleep=_no_sleep))
            return await work(client)

    return asyncio.run(run())


@pytest.fixture
def graph() -> Iterator[FakeSchemaGraph]:
    fake = FakeSchemaGraph()
    with respx.mock(assert_all_called=False) as router:
        fake.install(router)
        yield fake


def provider() -> AttributeMappingsProvider:
    return AttributeMappingsProvider(session)


def props(mappings: dict[str, str] = DECLARED) -> dict[str, Any]:
    return {"job": JOB_PATH, "mappings": dict(mappings), "applied": None, "originals": None}


def created(graph: FakeSchemaGraph, mappings: dict[str, str] = DECLARED) -> dict[str, Any]:
    result = provider().create(props(mappings))
    assert result.id == f"{JOB_PATH}/schema"
    assert result.outs is not None
    return result.outs


def source_of(graph: FakeSchemaGraph, target: str) -> dict[str, Any]:
    item = user_mapping_of(graph.schema, target)
    assert item is not None, f"{target} is not mapped"
    return dict(item["source"])


def edit_in_portal(graph: FakeSchemaGraph, target: str, source: str) -> None:
    """What an administrator does in Provisioning > Mappings: change one mapping's source attribute."""
    item = user_mapping_of(graph.schema, target)
    assert item is not None
    item["source"] = attribute(source)


# --- create --------------------------------------------------------------------------------------------


def test_create_writes_each_declared_source_into_the_user_mapping(graph: FakeSchemaGraph) -> None:
    created(graph)
    assert source_of(graph, "userName") == {
        "expression": "[mail]",
        "name": "mail",
        "parameters": [],
        "type": "Attribute",
    }
    assert source_of(graph, "displayName")["expression"] == FORMATTED
    assert source_of(graph, "displayName")["type"] == "Function"


def test_create_leaves_every_undeclared_mapping_byte_identical(graph: FakeSchemaGraph) -> None:
    before = without_user_targets(graph.schema, set(DECLARED))
    created(graph)
    assert len(graph.puts) == 1
    assert without_user_targets(graph.schema, set(DECLARED)) == before


def test_create_keeps_matching_and_flow_of_a_changed_mapping(graph: FakeSchemaGraph) -> None:
    created(graph)
    user_name = user_mapping_of(graph.schema, "userName")
    assert user_name is not None
    assert (user_name["matchingPriority"], user_name["flowBehavior"], user_name["flowType"]) == (
        1,
        "FlowWhenChanged",
        "Always",
    )


def test_create_adds_a_target_the_schema_does_not_map_yet(graph: FakeSchemaGraph) -> None:
    cost_center = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"
    outs = created(graph, effective_user_attributes({cost_center: "department"}))
    item = user_mapping_of(graph.schema, cost_center)
    assert item is not None and item["source"]["name"] == "department" and item["matchingPriority"] == 0
    assert outs["originals"][cost_center] is None


def test_create_remembers_microsofts_mappings_of_the_declared_targets(graph: FakeSchemaGraph) -> None:
    original = json.dumps(user_mapping_of(graph.schema, "userName"))
    outs = created(graph)
    assert json.dumps(outs["originals"]["userName"]) == original


def test_create_writes_no_odata_annotation_back(graph: FakeSchemaGraph) -> None:
    created(graph)
    assert not any(key.startswith("@odata") for key in graph.puts[0])


def test_create_has_every_expression_parsed_by_graph_first(graph: FakeSchemaGraph) -> None:
    created(graph)
    assert graph.parsed == [FORMATTED]


def test_create_fails_with_graphs_parser_message_and_writes_nothing(graph: FakeSchemaGraph) -> None:
    with pytest.raises(AttributeMappingError, match=r"scim\.userAttributes\.displayName: .*Function 'Jion'"):
        created(graph, effective_user_attributes({"displayName": 'Jion(" ", [givenName], [surname])'}))
    assert graph.puts == []


def test_graphs_parser_message_is_scrubbed_of_the_token_then_shortened(graph: FakeSchemaGraph) -> None:
    echoed = f"unexpected text near {'x' * 280} Bearer {GRAPH_TOKEN}\nat line 2"
    graph.parse_failure = echoed
    with pytest.raises(AttributeMappingError) as raised:
        created(graph, effective_user_attributes({"displayName": FORMATTED}))
    message = str(raised.value)
    assert GRAPH_TOKEN[:12] not in message and "line 2" not in message and message.endswith("...")


def test_create_fails_on_an_attribute_entra_does_not_define(graph: FakeSchemaGraph) -> None:
    with pytest.raises(AttributeMappingError, match="source attribute 'nickname' is not defined"):
        created(graph, effective_user_attributes({"nickName": "nickname"}))


def test_create_refuses_a_schema_with_two_enabled_user_mappings(graph: FakeSchemaGraph) -> None:
    graph.schema["synchronizationRules"][1]["objectMappings"][0]["enabled"] = True
    with pytest.raises(AttributeMappingError, match="nothing written: the job schema has 2 enabled object mappings"):
        created(graph)
    assert graph.puts == []


def test_create_waits_out_throttling(graph: FakeSchemaGraph) -> None:
    graph.throttle.update({"get": 2, "put": 1, "parse": 1})
    created(graph)
    assert len(graph.puts) == 1


def test_create_without_the_permission_names_it(graph: FakeSchemaGraph) -> None:
    graph.permissions = {"Synchronization.Read.All"}
    with pytest.raises(AttributeMappingError, match=r"refused the call \(403\).*Synchronization\.ReadWrite\.All"):
        created(graph)


def test_create_with_a_bad_token_is_refused(graph: FakeSchemaGraph) -> None:
    def wrong_token(work: Callable[[GraphClient], Awaitable[Any]]) -> Any:
        async def run() -> Any:
            async with endpoints_from_env({}).http_client() as http:
                return await work(
                    GraphClient(http, GRAPH, StaticToken(Secret("expired")), RetryPolicy(sleep=_no_sleep))
                )

        return asyncio.run(run())

    with pytest.raises(AttributeMappingError, match=r"refused the credentials \(401\)"):
        AttributeMappingsProvider(wrong_token).create(props())


# --- the fake refuses what Graph refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"synchronizationRules": []}, "must hold its directories"),
        ({"directories": [{"name": "x"}]}, "must hold its synchronizationRules"),
        ({"directories": [{"name": "x"}], "synchronizationRules": [{}], "rules": []}, "property 'rules'"),
        ([], "synchronizationSchema object"),
    ],
)
def test_fake_refuses_a_put_that_is_not_a_whole_schema(graph: FakeSchemaGraph, body: Any, message: str) -> None:
    response = httpx.put(f"{GRAPH}{JOB_PATH}/schema", json=body, headers={"Authorization": f"Bearer {GRAPH_TOKEN}"})
    assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_fake_refuses_a_target_mapped_twice(graph: FakeSchemaGraph) -> None:
    schema = json.loads(json.dumps(graph.schema))
    users = schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    users.append(dict(users[0]))
    response = httpx.put(f"{GRAPH}{JOB_PATH}/schema", json=schema, headers={"Authorization": f"Bearer {GRAPH_TOKEN}"})
    assert response.status_code == 400 and "mapped more than once" in response.json()["error"]["message"]


# --- diff ------------------------------------------------------------------------------------------------------


def test_diff_finds_no_change_when_nothing_changed(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    assert provider().diff(f"{JOB_PATH}/schema", outs, props()).changes is False


def test_diff_sees_a_mapping_edited_in_the_portal(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    edit_in_portal(graph, "userName", "userPrincipalName")
    assert provider().diff(f"{JOB_PATH}/schema", outs, props()).changes is True


def test_diff_runs_as_the_read_only_preview_identity(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    graph.permissions = {"Synchronization.Read.All"}
    assert provider().diff(f"{JOB_PATH}/schema", outs, props()).changes is False


def test_diff_without_the_read_permission_names_the_read_one(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    graph.permissions = {"Application.Read.All", "Group.Read.All"}
    with pytest.raises(AttributeMappingError, match=r"refused the call \(403\).*Synchronization\.Read\.All"):
        provider().diff(f"{JOB_PATH}/schema", outs, props())


def test_diff_sees_a_declared_change_without_asking_graph(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    reads = graph.gets
    changed = {**DECLARED, "userName": "userPrincipalName"}
    assert provider().diff(f"{JOB_PATH}/schema", outs, props(changed)).changes is True
    assert graph.gets == reads


def test_diff_asks_for_a_rewrite_when_the_job_is_gone(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    graph.job_exists = False
    assert provider().diff(f"{JOB_PATH}/schema", outs, props()).changes is True


def test_diff_replaces_for_another_job(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    other = {**props(), "job": JOB_PATH.replace("scim.0a1b", "scim.9f9f")}
    result = provider().diff(f"{JOB_PATH}/schema", outs, other)
    assert (result.changes, result.replaces) == (True, ["job"])


# --- update ---------------------------------------------------------------------------------------------------


def test_update_writes_the_new_source_and_keeps_the_first_originals(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    before = without_user_targets(graph.schema, set(DECLARED))
    news = props({**DECLARED, "userName": "userPrincipalName"})
    updated = provider().update(f"{JOB_PATH}/schema", outs, news).outs
    assert updated is not None
    assert source_of(graph, "userName")["name"] == "userPrincipalName"
    assert updated["originals"]["userName"] == outs["originals"]["userName"]
    assert without_user_targets(graph.schema, set(DECLARED)) == before


def test_update_restores_a_target_no_longer_declared(graph: FakeSchemaGraph) -> None:
    original = json.dumps(user_mapping_of(graph.schema, "displayName"))
    outs = created(graph)
    news = props({key: value for key, value in DECLARED.items() if key != "displayName"})
    updated = provider().update(f"{JOB_PATH}/schema", outs, news).outs
    assert updated is not None
    assert json.dumps(user_mapping_of(graph.schema, "displayName")) == original
    assert "displayName" not in updated["originals"]


def test_update_repairs_a_portal_edit(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    edit_in_portal(graph, "userName", "userPrincipalName")
    provider().update(f"{JOB_PATH}/schema", outs, props())
    assert source_of(graph, "userName")["name"] == "mail"


# --- read -------------------------------------------------------------------------------------------------------


def test_read_returns_the_declared_mappings_while_they_hold(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    result = provider().read(f"{JOB_PATH}/schema", outs)
    assert result.outs is not None and result.outs["mappings"] == DECLARED


def test_read_returns_the_live_source_of_a_portal_edit(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    edit_in_portal(graph, "displayName", "mailNickname")
    result = provider().read(f"{JOB_PATH}/schema", outs)
    assert result.outs is not None
    assert result.outs["mappings"] == {**DECLARED, "displayName": "mailNickname"}
    assert provider().diff(f"{JOB_PATH}/schema", result.outs, props()).changes is True


def test_read_of_a_deleted_job_reports_the_mappings_gone(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    graph.job_exists = False
    assert provider().read(f"{JOB_PATH}/schema", outs).id is None


# --- delete -------------------------------------------------------------------------------------------------------


def test_delete_restores_microsofts_mappings_byte_identical(graph: FakeSchemaGraph) -> None:
    cost_center = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"
    original = json.dumps(graph.schema)
    outs = created(graph, {**DECLARED, cost_center: "department"})
    provider().delete(f"{JOB_PATH}/schema", outs)
    assert json.dumps(graph.schema) == original


def test_delete_of_a_deleted_job_does_nothing(graph: FakeSchemaGraph) -> None:
    outs = created(graph)
    graph.job_exists = False
    provider().delete(f"{JOB_PATH}/schema", outs)
    assert len(graph.puts) == 1


# --- check, sign-in and pickling ------------------------------------------------------------------------------------


def test_check_refuses_a_job_that_is_not_a_graph_path() -> None:
    result = AttributeMappingsProvider().check({}, {**props(), "job": "scim.0a1b"})
    assert [failure.property for failure in result.failures] == ["job"]


def test_check_accepts_a_job_a_preview_does_not_know_yet() -> None:
    assert AttributeMappingsProvider().check({}, {**props(), "job": rpc.UNKNOWN}).failures == []


def test_check_refuses_a_target_outside_the_scim_user_schema() -> None:
    result = AttributeMappingsProvider().check({}, props({"emails.work": "mail"}))
    assert [failure.property for failure in result.failures] == ["mappings.emails.work"]


def test_sign_in_goes_to_the_graph_host_of_arm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_ENVIRONMENT", "usgovernment")
    monkeypatch.delenv("ENTRA_CF_GRAPH_URL", raising=False)
    credential = FakeCredential()
    monkeypatch.setattr("ops.credentials.entra_credential", lambda endpoints, environ: credential)
    fake = FakeSchemaGraph()
    with respx.mock(assert_all_called=False) as router:
        fake.install(router, graph="https://graph.microsoft.us/v1.0")
        outs = AttributeMappingsProvider().create(props()).outs
    assert outs is not None and fake.puts
    assert credential.scopes == ("https://graph.microsoft.us/.default",)


JOB_ENV_CLEARED = (
    "ARM_ENVIRONMENT",
    "ARM_CLIENT_ID",
    "ARM_TENANT_ID",
    "ARM_USE_MSI",
    "ARM_USE_OIDC",
    "ARM_OIDC_TOKEN",
    "ENTRA_CF_LOGIN_URL",
)


def test_a_preview_diff_without_credentials_fails_with_one_readable_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in JOB_ENV_CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no Azure CLI either
    outs = {**props(), "applied": DEFAULTS}
    with pytest.raises(AttributeMappingError) as raised:
        AttributeMappingsProvider().diff(f"{JOB_PATH}/schema", outs, props())
    message = str(raised.value)
    assert message.startswith("scim.userAttributes: the job schema is read and written over Microsoft Graph")
    assert "ARM_CLIENT_ID and ARM_TENANT_ID" in message and "\n" not in message


def test_a_refused_sign_in_is_one_scrubbed_line_that_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "client-secret-value-42"
    monkeypatch.setenv("ARM_CLIENT_ID", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("ARM_CLIENT_SECRET", secret)
    monkeypatch.delenv("ENTRA_CF_LOGIN_URL", raising=False)
    refused = FakeCredential(error=Exception(f"AADSTS7000215: Invalid client secret provided. Request: {secret}"))
    monkeypatch.setattr("ops.credentials.entra_credential", lambda endpoints, environ: refused)
    with pytest.raises(AttributeMappingError) as caught:
        graph_session(lambda graph: graph.get(f"{JOB_PATH}/schema", permission="Synchronization.Read.All"))
    assert str(caught.value) == (
        f"{SIGN_IN_NEEDED}: Entra sign-in failed: AADSTS7000215: Invalid client secret provided. Request: *** "
        "(check the ARM_* variables, docs/verify.md, Environment variables)"
    )


def test_the_provider_trusts_the_ca_bundle_as_the_ops_commands_do(
    monkeypatch: pytest.MonkeyPatch, certificates: Certificates
) -> None:
    # A real TLS server whose CA only ENTRA_CF_CA_BUNDLE names: an untrusted certificate would end
    # in a NetworkError; Graph's answer (a 404 from the fake) shows the handshake passed.
    monkeypatch.setattr("ops.credentials.entra_credential", lambda endpoints, environ: FakeCredential())
    monkeypatch.setenv("ENTRA_CF_CA_BUNDLE", str(certificates.ca_file))
    with serve(certificates, FakeEntraLogin()) as fake:
        monkeypatch.setenv("ENTRA_CF_GRAPH_URL", f"https://127.0.0.1:{fake.port}/v1.0")
        with pytest.raises(NotFoundError):
            graph_session(lambda graph: graph.get(f"{JOB_PATH}/schema", permission="Synchronization.Read.All"))
    assert fake.count(f"/v1.0{JOB_PATH}/schema") == 1


def test_the_pickled_provider_loads_in_a_fresh_interpreter_and_holds_no_live_object() -> None:
    pickled = serialize_provider(AttributeMappingsProvider())
    probe = (
        "import base64, sys, dill; p = dill.loads(base64.b64decode(sys.argv[1]));"
        "print(type(p).__module__, type(p).__name__, p._session)"
    )
    result = subprocess.run([sys.executable, "-c", probe, pickled], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "components.scim_schema AttributeMappingsProvider None", result.stderr
    # By reference, not by value: the engine's host imports the module from the project folder.
    assert len(base64.b64decode(pickled)) < 300


# --- the program --------------------------------------------------------------------------------------------------


def test_the_program_declares_no_schema_resource_without_mappings() -> None:
    assert run_program(minimal_config()).of_type(DYNAMIC) == []


def test_the_program_declares_the_mappings_under_the_scim_component_after_the_job() -> None:
    run = run_program(minimal_config(scim={"userAttributes": {"userName": "mail"}}))
    resource = run.one(DYNAMIC)
    job = run.one("SynchronizationJob")
    component = run.one("entracf:scim:ScimProvisioning")
    assert (resource.name, resource.parent) == ("scim-attribute-mappings", component.urn)
    assert job.urn in resource.dependencies
    assert resource.inputs["mappings"] == {**DEFAULTS, "userName": "mail"}
    provider = dill.loads(base64.b64decode(reveal(resource.inputs["__provider"])))
    assert isinstance(provider, AttributeMappingsProvider) and provider._session is None
