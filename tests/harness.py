"""Test harness: Pulumi's mock runtime, made to behave like the engine where it matters.

Imported by the tests and by `scripts/benchmark.py`; `conftest.py` holds fixtures only.

- Every registration is recorded with its inputs *and* its options (parent, dependencies,
  protect, delete_before_replace, import), which plain `pulumi.runtime.Mocks` do not expose.
- A second registration of one URN fails, as the engine refuses a duplicate URN.
- The program reads its stack file as in a real run: each run writes the config into a stack
  file in a temporary project folder and hands the engine the same values (JSON text for
  structured ones, secrets listed as secret keys).
- Outputs listed in `additional_secret_outputs` come back as secrets, as the engine makes them,
  and so do the fields the real providers mark sensitive (Cloudflare's SCIM secret).
- `run_component` declares one component from explicit Args under the same mocks and monitor,
  with no __main__.py or stack config: the unit of a component test.
- Lookups return realistic values, with Microsoft Graph's scope table written out here on its
  own (not imported from the code under test) so a wrong constant fails a test.
- Stacks come from the tests' own fixture stack files (tests/fixtures/stacks), never from
  stacks/: those belong to the user, and any set of them must keep the tests green.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
# A project root of the tests' own: its stacks/ holds the fixture stack files, a non-production
# `dev` and a production `prod`, with placeholders as an unedited stack file holds them.
FIXTURES = ROOT / "tests" / "fixtures"

# Fake but well-formed identifiers: never a real tenant or account.
TENANT_ID = "7e5a1c2b-0000-4000-8000-00000000a11d"
GRAPH_SP_OBJECT_ID = "9a0b7c6d-0000-4000-8000-0000000064a7"
TEAM_DOMAIN = "acme-test.cloudflareaccess.com"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
# Mid-window for both default rotation settings: a fixed clock for every program test.
FIXED_NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

# Microsoft Graph's delegated scopes as Graph's service principal reports them (permissions
# reference, "All permissions and IDs"), plus one scope the stack must not request.
GRAPH_SCOPE_TABLE = {
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
    "Mail.Read": "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
}


def fake_guid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def reveal(value: Any) -> Any:
    """A recorded value with every secret wrapper removed, recursively."""
    if rpc.is_rpc_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def is_secret_at(value: Any, *path: str | int) -> bool:
    """Whether the value at `path` is protected by a secret wrapper at it or around it.

    Python's SDK lifts the secretness of a nested value to the top-level property it sits in.
    """
    for step in path:
        if rpc.is_rpc_secret(value):
            return True
        value = value[step]
    return rpc.is_rpc_secret(value)


@dataclass(frozen=True)
class Secret:
    """A config value set as a secret (`pulumi config set --secret`)."""

    value: str


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    protect: bool
    delete_before_replace: bool
    custom: bool
    import_id: str


class EngineLikeMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        graph_scopes: dict[str, str] | None = None,
        team_domain: str = TEAM_DOMAIN,
        missing_groups: frozenset[str] = frozenset(),
        ambiguous_groups: frozenset[str] = frozenset(),
    ):
        self.graph_scopes = graph_scopes if graph_scopes is not None else dict(GRAPH_SCOPE_TABLE)
        self.team_domain = team_domain
        # The fake directory: one group per display name, except these (none or several).
        self.missing_groups = missing_groups
        self.ambiguous_groups = ambiguous_groups
        self.calls: Counter[str] = Counter()
        self.call_args: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        token = args.token.split(":")[-1]
        self.calls[token] += 1
        self.call_args.append((token, dict(args.args)))
        if token == "getClientConfig":
            return {"tenantId": TENANT_ID, "clientId": fake_guid("deployer"), "objectId": fake_guid("deployer-sp")}, []
        if token == "getServicePrincipal":
            return {
                "clientId": args.args["clientId"],
                "objectId": GRAPH_SP_OBJECT_ID,
                "oauth2PermissionScopeIds": self.graph_scopes,
            }, []
        if token == "getGroups":
            return self.get_groups(dict(args.args)), []
        if token == "getZeroTrustOrganization":
            return {"authDomain": self.team_domain, "accountId": args.args["accountId"]}, []
        raise AssertionError(f"unexpected invoke {args.token}")

    def get_groups(self, args: dict[str, Any]) -> dict[str, Any]:
        """The provider's `getGroups` by display names (terraform-provider-azuread,
        groups_data_source.go): one directory lookup per name, results in the order asked; the
        first name that no group or more than one group has fails the whole lookup, unless
        `ignoreMissing` skips the missing ones."""
        unsupported = sorted(set(args) - {"displayNames", "ignoreMissing"})
        if unsupported or not args.get("displayNames"):
            raise AssertionError(f"getGroups is only faked for displayNames; got {sorted(args)}")
        ignore_missing = bool(args.get("ignoreMissing"))
        names: list[str] = []
        for name in args["displayNames"]:
            if name in self.ambiguous_groups:
                raise Exception(f'More than one group found with display name: "{name}"')
            if name in self.missing_groups:
                if ignore_missing:
                    continue
                raise Exception(f'No group found with display name: "{name}"')
            names.append(name)
        return {
            "id": "groups#" + hashlib.sha1("-".join(names).encode()).hexdigest(),
            "displayNames": names,
            "objectIds": [fake_guid("group", name) for name in names],
            "ignoreMissing": ignore_missing,
        }

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        kind = args.typ.split(":")[-1]
        oid = fake_guid(args.typ, args.name)
        state = dict(args.inputs)
        if kind == "Application":
            state.update(objectId=oid, clientId=fake_guid("client", args.name))
            return f"/applications/{oid}", state
        if kind == "ServicePrincipal":
            state.update(objectId=oid)
            return f"/servicePrincipals/{oid}", state
        if kind == "ApplicationPassword":
            # A new value for every distinct set of inputs, like a new secret on replacement.
            digest = hashlib.sha256(json.dumps(reveal(args.inputs), sort_keys=True).encode()).hexdigest()
            state.update(value=f"client-secret-{digest[:16]}", keyId=fake_guid("key", digest))
            return f"{args.inputs['applicationId']}/password/{state['keyId']}", state
        if kind == "ApplicationFromTemplate":
            app_oid, sp_oid = fake_guid("app", args.name), fake_guid("sp", args.name)
            state.update(
                applicationId=f"/applications/{app_oid}",
                applicationObjectId=app_oid,
                servicePrincipalId=f"/servicePrincipals/{sp_oid}",
                servicePrincipalObjectId=sp_oid,
            )
            return app_oid, state
        if kind == "ZeroTrustAccessIdentityProvider":
            scim = reveal(state.get("scimConfig")) or {}
            if scim.get("enabled"):
                # Computed by Cloudflare; the provider marks the secret sensitive.
                scim = {
                    **scim,
                    "scimBaseUrl": f"https://{self.team_domain}/populations/{oid}/scim/v2",
                    "secret": rpc.wrap_rpc_secret(f"scim-secret-{oid[:8]}"),
                }
                state["scimConfig"] = scim
            return oid, state
        return oid, state


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records each registration's options and applies secret outputs."""

    def __init__(self, mocks: EngineLikeMocks):
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        # URN -> what a component passed to `register_outputs`, secrets wrapped as in state.
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        # Registrations arrive on several executor threads at once: a URN is claimed under this
        # lock before it is registered, so two registrations of one URN cannot both pass.
        self._claimed: set[str] = set()
        self._claim = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            urn = self.make_urn(request.parent, request.type, request.name)
            with self._claim:
                duplicate = urn in self._claimed
                self._claimed.add(urn)
            if duplicate:
                # Kept as well as raised: an RPC error is only seen where its result is awaited.
                self.errors.append(f"Duplicate resource URN '{urn}'; try giving it a unique name")
                raise RuntimeError(self.errors[-1])
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        outputs = dict(self.resources[response.urn].state)
        for name in request.additionalSecretOutputs:
            if name in outputs:
                outputs[name] = rpc.wrap_rpc_secret(outputs[name])
        self.resources[response.urn] = self.resources[response.urn]._replace(state=outputs)
        self.registrations[response.urn] = Registration(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            inputs=inputs,
            outputs=outputs,
            dependencies=list(request.dependencies),
            protect=request.protect,
            delete_before_replace=request.deleteBeforeReplace,
            custom=request.custom,
            import_id=request.importId,
        )
        return type(response)(urn=response.urn, id=response.id, object=_serialize(outputs))

    def RegisterResourceOutputs(self, request):  # noqa: N802 (gRPC method name)
        self.registered_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _serialize(outputs: dict[str, Any]):
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(rpc.serialize_properties(outputs, {}))


@dataclass
class ProgramRun:
    monitor: RecordingMonitor
    mocks: EngineLikeMocks
    exports: dict[str, Any]

    @property
    def registrations(self) -> list[Registration]:
        return list(self.monitor.registrations.values())

    def of_type(self, suffix: str) -> list[Registration]:
        return [r for r in self.registrations if r.type.endswith(suffix)]

    def one(self, suffix: str) -> Registration:
        found = self.of_type(suffix)
        assert len(found) == 1, f"expected one {suffix}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registration:
        return next(r for r in self.registrations if r.name == name)


def fixture_stacks() -> list[str]:
    """The fixture stacks, sorted."""
    from config.stack_files import stack_names

    return stack_names(FIXTURES)


def copy_fixture_stacks(root: Path) -> Path:
    """The fixture stack files copied into `root`/stacks, as a project checkout holds them."""
    from config.stack_files import STACK_CONFIG_DIR

    shutil.copytree(FIXTURES / STACK_CONFIG_DIR, root / STACK_CONFIG_DIR)
    return root / STACK_CONFIG_DIR


def stack_file_config(stack: str) -> dict[str, Any]:
    """A fixture stack file's config, keyed as the engine keys it (`<project>:<key>`), with its
    placeholders filled in by fake values."""
    from config.settings import is_placeholder
    from config.stack_files import read_stack_config, stack_file

    config = read_stack_config(stack_file(stack, FIXTURES))

    def fill(key: str, value: Any) -> Any:
        if isinstance(value, list):
            return [fill(key, item) for item in value]
        if isinstance(value, dict):
            return {name: fill(key, item) for name, item in value.items()}
        if not is_placeholder(value):
            return value
        if key.endswith(":cloudflareAccountId"):
            return ACCOUNT_ID
        if key.endswith(":teamName"):
            return TEAM_DOMAIN.split(".")[0]
        return fake_guid("placeholder", value)

    return {key: fill(key, value) for key, value in config.items()}


def engine_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Config as the engine hands it to a program: strings, with structured values as JSON, and
    the list of secret keys."""

    def encode(value: Any) -> str:
        if isinstance(value, Secret):
            return value.value
        return value if isinstance(value, str) else json.dumps(value)

    keyed = {(key if ":" in key else f"{PROJECT}:{key}"): value for key, value in config.items()}
    return {key: encode(value) for key, value in keyed.items()}, [
        key for key, value in keyed.items() if isinstance(value, Secret)
    ]


def write_stack_file(root: Path, stack: str, config: dict[str, Any]) -> Path:
    """The stack file a user would have written for `config` (secrets as ciphertext stand-ins)."""

    def as_yaml(value: Any) -> Any:
        return {"secure": "v1:ZmFrZS1jaXBoZXJ0ZXh0"} if isinstance(value, Secret) else value

    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    keyed = {(key if ":" in key else f"{PROJECT}:{key}"): as_yaml(value) for key, value in config.items()}
    path.write_text(yaml.safe_dump({"config": keyed}, sort_keys=False))
    return path


@contextmanager
def mock_runtime(
    stack: str, mocks: EngineLikeMocks, monitor: RecordingMonitor, config: dict[str, Any] | None = None
) -> Iterator[None]:
    """Pulumi's mock runtime for one program run, on an event loop of its own.

    The mock monitor answers on executor threads, each of which needs an event loop of its own.
    Every loop is made here and closed after the run, with any work a failed run left pending
    cancelled: a loop left open is closed by the garbage collector, which at exit fails noisily
    ("Invalid file descriptor").
    """
    loop = asyncio.new_event_loop()
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(thread_loops[-1])

    executor = ThreadPoolExecutor(initializer=give_thread_a_loop)
    loop.set_default_executor(executor)
    failed = False

    def report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # A failed run has raised its error already; the SDK's futures that hold the same error
        # would each log it again when collected. Anything else is reported as usual.
        if not (failed and str(context.get("message", "")).endswith("exception was never retrieved")):
            loop.default_exception_handler(context)

    loop.set_exception_handler(report)
    asyncio.set_event_loop(loop)
    values, secret_keys = engine_config(config or {})
    pulumi.runtime.set_all_config(values, secret_keys)
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        pulumi.runtime.set_all_config({}, [])
        # A failed run leaves work pending; cancel it as `asyncio.run` does, rather than have
        # the garbage collector report each task destroyed while pending.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        executor.shutdown(wait=True)
        for each in (loop, *thread_loops):
            each.close()
        asyncio.set_event_loop(None)


def run_program(
    config: dict[str, Any],
    stack: str = "dev",
    mocks: EngineLikeMocks | None = None,
    now: datetime = FIXED_NOW,
    monitor: RecordingMonitor | None = None,
) -> ProgramRun:
    """Run __main__.py under the mock runtime with the given config and clock, from a temporary
    project folder holding the matching stack file."""
    from components import rotation

    mocks = mocks or EngineLikeMocks()
    monitor = monitor or RecordingMonitor(mocks)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        stack_resource = runtime_settings.get_root_resource()
        outputs = getattr(stack_resource, "outputs", {})
        return pulumi.Output.all(**outputs).apply(exports.update) if outputs else pulumi.Output.from_input(None)

    working_dir = os.getcwd()
    original_clock = rotation.utcnow
    with tempfile.TemporaryDirectory() as project_dir, mock_runtime(stack, mocks, monitor, config):
        write_stack_file(Path(project_dir), stack, config)
        os.chdir(project_dir)
        rotation.utcnow = lambda: now
        try:
            program()
        finally:
            os.chdir(working_dir)
            rotation.utcnow = original_clock
    if monitor.errors:
        raise RuntimeError("; ".join(monitor.errors))
    return ProgramRun(monitor=monitor, mocks=mocks, exports=exports)


def run_component(
    build: Callable[[], pulumi.Resource | Mapping[str, pulumi.Input[Any]]],
    stack: str = "test",
    mocks: EngineLikeMocks | None = None,
) -> ProgramRun:
    """Run `build`, which declares one component from explicit Args, under the mocks and monitor
    of `run_program`, with no __main__.py, settings or stack config.

    `build` returns the component, and the exports are then the outputs it registered, or a dict
    of Outputs to export. Either way they are resolved as the engine records them: a secret stays
    wrapped (`is_secret`; `reveal` for the value), where `run_program`'s exports are plain.
    """
    mocks = mocks or EngineLikeMocks()
    monitor = RecordingMonitor(mocks)
    exported: dict[str, Any] = {}
    component_urn: list[str] = []

    async def record(values: Mapping[str, Any]) -> None:
        exported.update(rpc.deserialize_properties(await rpc.serialize_properties(values, {})))

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        built = build()
        if isinstance(built, pulumi.Resource):
            return built.urn.apply(component_urn.append)
        return pulumi.Output.from_input(record(built))

    with mock_runtime(stack, mocks, monitor):
        program()
    if monitor.errors:
        raise RuntimeError("; ".join(monitor.errors))
    # Read after the run: a component's outputs are registered after its URN resolves.
    exports = monitor.registered_outputs[component_urn[0]] if component_urn else exported
    return ProgramRun(monitor=monitor, mocks=mocks, exports=exports)


def minimal_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "cloudflareAccountId": ACCOUNT_ID,
        "teamName": "acme-test",
        "signInGroups": ["Engineering"],
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}
