"""The provisioning job's User attribute mappings (`scim.userAttributes`), as a Pulumi dynamic resource.

No provider manages a job schema (hashicorp/terraform-provider-azuread#1332, #1429), so this one
does it over Microsoft Graph by read-modify-write: `GET .../jobs/{jobId}/schema`, change the
declared targets of the User object mapping, `PUT` the whole schema back (a PUT replaces it all).
Every other mapping, object, rule and directory goes back exactly as Graph returned it.

- create/update: each expression is first checked by Graph's own parser (`parseExpression`),
  whose answer is also the source written; the mapping each target had before the stack managed
  it is kept in state (`originals`).
- diff: compares the declared mappings with the state and with the live schema, so a mapping
  edited in the portal shows up as a change on the next preview.
- read (`pulumi refresh`): the state's mappings become the live ones.
- delete: puts back, for each managed target, the mapping it had before (or removes a target the
  stack added), and leaves everything else alone. A job already deleted needs nothing.

The provider runs in the Pulumi engine's Python host, from its pickled form: it holds no live
object. It signs in when called, as `make verify` does (ops/credentials.py: the `ARM_*` variables,
else the Azure CLI), on the Graph host of `ARM_ENVIRONMENT`.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

import pulumi
import pulumi.dynamic
from pulumi.runtime import rpc

from components import attribute_mappings

# Microsoft Graph's least privileged permission to write a job schema and parse an expression.
# Source: Graph v1.0 "Update synchronizationSchema" and "synchronizationSchema: parseExpression".
SCHEMA_PERMISSION: Final = "Synchronization.ReadWrite.All"
# Reading it needs less (Graph v1.0 "Get synchronizationSchema" accepts Synchronization.Read.All),
# and a preview's diff reads it as CI's read-only preview identity (docs/ci.md): a 403 there must
# not ask for a write permission.
SCHEMA_READ_PERMISSION: Final = "Synchronization.Read.All"
# The azuread provider's SynchronizationJob ID: the job's Graph path (FACTS.md).
JOB_PATH: Final = re.compile(r"^/servicePrincipals/[0-9a-fA-F-]{36}/synchronization/jobs/[^/\s]+$")

# What a failed sign-in is prefixed with: the engine runs the provider in a preview's diff too, where
# a reader sees the message without knowing which resource needed Graph.
SIGN_IN_NEEDED: Final = (
    "scim.userAttributes: the job schema is read and written over Microsoft Graph, signed in like the "
    "azuread provider (ARM_* variables or the Azure CLI)"
)

T = TypeVar("T")
Graph = Any  # ops.clients.GraphClient, imported where the provider runs
GraphSession = Callable[[Callable[[Graph], Awaitable[T]]], T]


class AttributeMappingError(Exception):
    """A mapping Graph refused, a job schema this resource cannot change safely, or a refused sign-in."""


def graph_session(work: Callable[[Graph], Awaitable[T]]) -> T:
    """Run `work` with a Graph client signed in from the environment, like the ops commands.

    ops/ (and with it httpx) is imported here, when the engine calls the provider, not when the
    program loads: the sign-in needs the environment of the deployment, nothing of it is pickled,
    and a program that never calls the provider does not pay for the import.
    """
    from ops.clients import CredentialToken, GraphClient
    from ops.credentials import CredentialsError, endpoints_from_env, entra_credential
    from ops.sign_in import CannotRunError, sign_in

    try:
        endpoints = endpoints_from_env(os.environ)
        token = CredentialToken(entra_credential(endpoints, os.environ), endpoints.graph_scope)
    except CredentialsError as error:
        raise AttributeMappingError(f"{SIGN_IN_NEEDED}: {error}") from None

    async def run() -> T:
        async with endpoints.http_client() as http:
            # The commands' sign-in: a refusal becomes one scrubbed line that names the fix.
            await sign_in(token, endpoints, os.environ)
            return await work(GraphClient(http, endpoints.graph_url, token))

    try:
        return asyncio.run(run())
    except CannotRunError as error:
        raise AttributeMappingError(f"{SIGN_IN_NEEDED}: {error}") from None


class AttributeMappingsProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of the declared targets of one job's User mapping. `session` is for tests; the
    deployed provider signs in from the environment (`graph_session`)."""

    def __init__(self, session: GraphSession[Any] | None = None) -> None:
        super().__init__()
        self._session = session

    def _run(self, work: Callable[[Graph], Awaitable[T]]) -> T:
        from ops.clients import ApiError

        try:
            return (self._session or graph_session)(work)
        except ApiError as error:
            raise AttributeMappingError(error.describe()) from None
        except attribute_mappings.SchemaShapeError as error:
            raise AttributeMappingError(f"nothing written: {error}") from None

    # --- the Graph calls ---------------------------------------------------------------------------

    @staticmethod
    async def _schema(graph: Graph, job: str) -> dict[str, Any]:
        schema: dict[str, Any] = await graph.get(f"{job}/schema", permission=SCHEMA_READ_PERMISSION)
        return schema

    @staticmethod
    async def _put(graph: Graph, job: str, schema: Mapping[str, Any]) -> None:
        # OData annotations (`@odata.context`) describe the answer, they are not part of the schema.
        body = {key: value for key, value in schema.items() if not key.startswith("@odata.")}
        await graph.request("PUT", f"{job}/schema", permission=SCHEMA_PERMISSION, json=body)

    @staticmethod
    async def _sources(graph: Graph, job: str, mappings: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """target -> the source to write; every expression parsed by Graph, refused with its message."""
        sources: dict[str, dict[str, Any]] = {}
        for target, text in mappings.items():
            if attribute_mappings.is_constant(text):
                sources[target] = attribute_mappings.constant_source(text)
            elif not attribute_mappings.is_expression(text):
                sources[target] = attribute_mappings.attribute_source(text)
            else:
                parsed = await graph.post(
                    f"{job}/schema/parseExpression", {"expression": text}, permission=SCHEMA_PERMISSION
                )
                if not parsed.get("parsingSucceeded") or not parsed.get("parsedExpression"):
                    # Graph's text, like any it writes: scrubbed of the token, then shortened.
                    message = graph.quote((parsed.get("error") or {}).get("message") or "no reason given")
                    raise AttributeMappingError(
                        f"scim.userAttributes.{target}: Microsoft Graph cannot parse {text!r}: {message}"
                    )
                sources[target] = parsed["parsedExpression"]
        return sources

    def _write(
        self, job: str, mappings: Mapping[str, str], originals: Mapping[str, Any], undeclared: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Write `mappings`, restore `undeclared` (target -> its original); the new state's parts."""

        async def work(graph: Graph) -> dict[str, Any]:
            sources = await self._sources(graph, job, mappings)
            schema = await self._schema(graph, job)
            live = attribute_mappings.user_mappings(schema)
            kept = {target: originals[target] if target in originals else live.get(target) for target in mappings}
            updated = attribute_mappings.with_user_mappings(
                attribute_mappings.with_sources(schema, sources), dict(undeclared)
            )
            await self._put(graph, job, updated)
            return {"applied": sources, "originals": kept}

        return self._run(work)

    def _live_schema(self, job: str) -> dict[str, Any] | None:
        """The job's schema, or None when the job no longer exists."""
        from ops.clients import NotFoundError

        async def work(graph: Graph) -> dict[str, Any] | None:
            try:
                return await self._schema(graph, job)
            except NotFoundError:
                return None

        return self._run(work)

    # --- the provider ------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        failures = []
        # While the job is still to be created, a preview hands over its path as unknown.
        if news.get("job") != rpc.UNKNOWN and not JOB_PATH.match(str(news.get("job", ""))):
            failures.append(
                pulumi.dynamic.CheckFailure(
                    "job", "the job's Graph path /servicePrincipals/<id>/synchronization/jobs/<id>"
                )
            )
        for target, source in dict(news.get("mappings") or {}).items():
            problem = attribute_mappings.target_problem(target) or attribute_mappings.source_problem(str(source))
            if problem:
                failures.append(pulumi.dynamic.CheckFailure(f"mappings.{target}", problem))
        return pulumi.dynamic.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        job, mappings = props["job"], dict(props["mappings"])
        written = self._write(job, mappings, {}, {})
        return pulumi.dynamic.CreateResult(f"{job}/schema", {**props, **written})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        if olds.get("job") != news.get("job"):
            return pulumi.dynamic.DiffResult(changes=True, replaces=["job"], delete_before_replace=True)
        if dict(olds.get("mappings") or {}) != dict(news.get("mappings") or {}):
            return pulumi.dynamic.DiffResult(changes=True)
        schema = self._live_schema(news["job"])
        if schema is None:
            return pulumi.dynamic.DiffResult(changes=True)
        drift = attribute_mappings.drifted(schema, dict(olds.get("applied") or {}))
        return pulumi.dynamic.DiffResult(changes=bool(drift))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        mappings = dict(news["mappings"])
        originals = dict(olds.get("originals") or {})
        undeclared = {target: original for target, original in originals.items() if target not in mappings}
        declared_before = {target: original for target, original in originals.items() if target in mappings}
        written = self._write(news["job"], mappings, declared_before, undeclared)
        return pulumi.dynamic.UpdateResult({**news, **written})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        schema = self._live_schema(props["job"])
        if schema is None:
            # The job is gone, and its mappings with it.
            return pulumi.dynamic.ReadResult(None, {})
        drift = attribute_mappings.drifted(schema, dict(props.get("applied") or {}))
        live = {target: drift.get(target, source) for target, source in dict(props.get("mappings") or {}).items()}
        # A target no longer mapped at all reads as an empty source: the next update writes it again.
        mappings = {target: source or "" for target, source in live.items()}
        return pulumi.dynamic.ReadResult(id_, {**props, "mappings": mappings})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        originals = dict(props.get("originals") or {})
        schema = self._live_schema(props["job"])
        if schema is not None:
            restored = attribute_mappings.with_user_mappings(schema, originals)
            self._run(lambda graph: self._put(graph, props["job"], restored))


class AttributeMappings(pulumi.dynamic.Resource):
    """The declared User attribute mappings of one provisioning job.

    Outputs: `mappings` (target -> source text), `applied` (target -> the source Graph was given),
    `originals` (target -> the mapping it had before, None when the stack added it).
    """

    mappings: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        job: pulumi.Input[str],
        mappings: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            AttributeMappingsProvider(),
            name,
            {"job": job, "mappings": dict(mappings), "applied": None, "originals": None},
            opts,
        )
