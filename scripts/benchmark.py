"""Times the offline evaluation of the whole program under Pulumi's mock runtime, next to two
floors measured in the same run, then runs the verify benchmark.

    venv/bin/python scripts/benchmark.py      (or `make bench`)

Scenarios: the dev test fixture (tests/fixtures/stacks), then 1, 100 and 1000 sign-in groups (each also provisioned
by SCIM). One untimed run of each scenario comes first: it warms up the imports and records the
registrations the replay floor repeats. Each timing is the best of `REPEATS` runs. Before each,
the garbage collector runs and the heap is frozen (`gc.freeze`): later collections then skip the
imported provider SDKs' objects and earlier runs' leftovers. Otherwise their cost depends on how
much an earlier run left behind, which makes the same measurement vary by 2x from run to run.

For each scenario one line:
- `registrations`: the resources the program registers (components included, the stack not);
- `lookups`: its directory lookups (invokes);
- `program s`: the program's run (`harness.run_program`, which also writes the stack file);
- `replay s`: the *replay floor*, the same registrations (same provider classes, names, parents,
  options and input values) made directly, with no program: no config, no lookups, no Outputs
  between resources. What the SDK costs for these resources whatever the program does;
- `bare s`: the *bare floor* of issue 12, the same number of bare `CustomResource`
  registrations (no inputs, no declared outputs) under the same mocks and monitor;
- `p/replay` and `p/bare`: the program's time over each floor.

Each row is announced on stderr as it starts (the last row takes the longest), so the table on
stdout stays clean. Then the verdict on issue 12's goal (at 1000 groups, the program takes at most
1.2 times the bare floor) with the replay floor beside it, and last the verify benchmark
(`scripts/benchmark_verify.py`, its `run()`), or a line saying that script is missing.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import re
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pulumi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import (  # noqa: E402
    ACCOUNT_ID,
    EngineLikeMocks,
    RecordingMonitor,
    Registration,
    mock_runtime,
    reveal,
    run_program,
    stack_file_config,
)

GOAL_GROUPS = 1000
GOAL_RATIO = 1.2
REPEATS = 3
VERIFY_BENCHMARK = ROOT / "scripts" / "benchmark_verify.py"


def scenarios() -> list[tuple[str, str, dict[str, Any]]]:
    result = [("dev stack file", "dev", stack_file_config("dev"))]
    for count in (1, 100, GOAL_GROUPS):
        result.append((f"{count} sign-in groups", "bench", groups_config(count)))
    return result


def groups_config(count: int) -> dict[str, Any]:
    groups = [f"Cloudflare Users {index:04d}" for index in range(count)]
    return {"cloudflareAccountId": ACCOUNT_ID, "teamName": "bench", "signInGroups": groups}


def run_bare_floor(count: int, stack: str) -> None:
    """`count` bare registrations."""
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        for index in range(count):
            pulumi.CustomResource("test:index:Bare", f"r{index}", {})
        return pulumi.Output.from_input(None)

    with mock_runtime(stack, mocks, monitor):
        program()
    if len(monitor.registrations) != count:
        raise RuntimeError(f"bare floor registered {len(monitor.registrations)} resources, expected {count}")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resource_class(token: str) -> type[pulumi.CustomResource]:
    """The generated class of a provider type token: `azuread:index/appRoleAssignment:AppRoleAssignment`
    is `pulumi_azuread.app_role_assignment.AppRoleAssignment`."""
    package, module, name = token.split(":")
    found = getattr(importlib.import_module(f"pulumi_{package}.{_snake(module.split('/')[-1])}"), name)
    if not (isinstance(found, type) and issubclass(found, pulumi.CustomResource)):
        raise RuntimeError(f"{token} does not name a provider resource class")
    return found


def replay_plan(registrations: Sequence[Registration]) -> list[tuple[Registration, Any, dict[str, Any]]]:
    """Each recorded registration with its class (None for a component) and keyword inputs.

    Top-level inputs become the class's snake_case keywords; nested values stay in their recorded
    wire form (camelCase), which the SDK sends as given. `check_replay` proves the result equal.
    """
    return [
        (
            registration,
            resource_class(registration.type) if registration.custom else None,
            {_snake(key): reveal(value) for key, value in registration.inputs.items()},
        )
        for registration in registrations
    ]


def run_replay_floor(plan: list[tuple[Registration, Any, dict[str, Any]]], stack: str) -> RecordingMonitor:
    """The planned registrations, made directly, in the order the program made them."""
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        made: dict[str, pulumi.Resource] = {}
        for registration, cls, inputs in plan:
            opts = pulumi.ResourceOptions(
                parent=made.get(registration.parent),
                protect=registration.protect,
                import_=registration.import_id or None,
                depends_on=[made[urn] for urn in registration.dependencies if urn in made],
            )
            if cls is None:
                made[registration.urn] = pulumi.ComponentResource(registration.type, registration.name, None, opts)
            else:
                made[registration.urn] = cls(registration.name, opts=opts, **inputs)
        return pulumi.Output.from_input(None)

    with mock_runtime(stack, mocks, monitor):
        program()
    return monitor


def check_replay(registrations: Sequence[Registration], monitor: RecordingMonitor) -> None:
    """The replay must make what the program made: same URNs, same input values."""
    replayed = monitor.registrations
    expected = {registration.urn: registration for registration in registrations}
    if set(replayed) != set(expected):
        missing, extra = sorted(set(expected) - set(replayed)), sorted(set(replayed) - set(expected))
        raise RuntimeError(f"replay differs from the program: missing {missing[:3]}, extra {extra[:3]}")
    for urn, registration in expected.items():
        if reveal(replayed[urn].inputs) != reveal(registration.inputs):
            raise RuntimeError(f"replay of {urn} has other inputs than the program's")


def best_of(run: Callable[[], object]) -> float:
    """The shortest of `REPEATS` runs, each on a collected and frozen heap (see the docstring)."""
    times = []
    for _ in range(REPEATS):
        gc.collect()
        gc.freeze()
        try:
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        finally:
            gc.unfreeze()
    return min(times)


def run_verify_benchmark() -> None:
    if not VERIFY_BENCHMARK.exists():
        print(f"\nverify benchmark: {VERIFY_BENCHMARK.relative_to(ROOT)} is missing; not run")
        return
    spec = importlib.util.spec_from_file_location("benchmark_verify", VERIFY_BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print()
    module.run()


def measure(stack: str, config: dict[str, Any]) -> tuple[int, int, float, float, float]:
    """(registrations, lookups, program s, replay s, bare s) of one scenario."""
    recorded = run_program(config, stack=stack)
    registrations, lookups = recorded.registrations, sum(recorded.mocks.calls.values())
    del recorded
    plan = replay_plan(registrations)
    check_replay(registrations, run_replay_floor(plan, stack))
    program = best_of(partial(run_program, config, stack=stack))
    replay = best_of(partial(run_replay_floor, plan, stack))
    bare = best_of(partial(run_bare_floor, len(registrations), stack))
    return len(registrations), lookups, program, replay, bare


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        prog="scripts/benchmark.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    print(
        f"{'scenario':<20} {'registrations':>13} {'lookups':>7} {'program s':>9} {'replay s':>8} {'bare s':>7} "
        f"{'p/replay':>8} {'p/bare':>7}"
    )
    results: dict[str, tuple[float, float, float]] = {}
    for label, stack, config in scenarios():
        print(f"measuring {label} ...", file=sys.stderr, flush=True)
        registrations, lookups, program, replay, bare = measure(stack, config)
        results[label] = (program, replay, bare)
        print(
            f"{label:<20} {registrations:>13} {lookups:>7} {program:>9.2f} {replay:>8.2f} {bare:>7.2f} "
            f"{program / replay:>7.2f}x {program / bare:>6.2f}x",
            flush=True,
        )

    program, replay, bare = results[f"{GOAL_GROUPS} sign-in groups"]
    verdict = "met" if program <= GOAL_RATIO * bare else "NOT met"
    print(
        f"\ngoal (program at most {GOAL_RATIO}x the bare floor at {GOAL_GROUPS} groups): "
        f"{verdict}, {program / bare:.2f}x"
    )
    print(
        f"the replay floor, the same registrations with no program, takes {replay / bare:.2f}x the bare floor; "
        f"the program takes {program / replay:.2f}x the replay floor"
    )
    if replay > GOAL_RATIO * bare:
        print(
            "so the SDK's own cost of these provider resources already exceeds the goal: "
            "no program that registers them can meet it"
        )

    run_verify_benchmark()


if __name__ == "__main__":
    main()
