"""Times the offline evaluation of the whole program under Pulumi's mock runtime, next to the
SDK's own floor, then runs the verify benchmark.

    venv/bin/python scripts/benchmark.py      (or `make bench`)

Scenarios: the committed dev stack, then 1, 100 and 1000 sign-in groups (each also provisioned
by SCIM). One untimed warm-up run of the program and of the floor comes first, so the first
scenario does not pay for importing the providers.

For each scenario one line: its label; `registrations`, the resources the program registers
(components included, the stack excluded); `lookups`, its directory lookups (invokes);
`program s`, the wall-clock seconds of the program's run (`harness.run_program`); `floor s`, the
wall-clock seconds of the same number of bare `CustomResource` registrations under the same
mocks and monitor; and `ratio`, program / floor.

Then one line saying whether the goal of issue 12 holds: at 1000 groups the program takes at most
1.2 times its floor. Last, the verify benchmark (`scripts/benchmark_verify.py`, its `run()`)
prints its own report, or a line says that script is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import (  # noqa: E402
    ACCOUNT_ID,
    PROJECT,
    EngineLikeMocks,
    RecordingMonitor,
    run_program,
    stack_file_config,
)

GOAL_GROUPS = 1000
GOAL_RATIO = 1.2
VERIFY_BENCHMARK = ROOT / "scripts" / "benchmark_verify.py"


def scenarios() -> list[tuple[str, str, dict[str, Any]]]:
    result = [("dev stack file", "dev", stack_file_config("dev"))]
    for count in (1, 100, GOAL_GROUPS):
        result.append((f"{count} sign-in groups", "bench", groups_config(count)))
    return result


def groups_config(count: int) -> dict[str, Any]:
    groups = [f"Cloudflare Users {index:04d}" for index in range(count)]
    return {"cloudflareAccountId": ACCOUNT_ID, "teamName": "bench", "signInGroups": groups}


def run_floor(count: int, stack: str) -> None:
    """`count` bare registrations, set up exactly as `harness.run_program` sets up the program."""
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_all_config({}, [])
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        for index in range(count):
            pulumi.CustomResource("test:index:Bare", f"r{index}", {})
        return pulumi.Output.from_input(None)

    program()
    if len(monitor.registrations) != count:
        raise RuntimeError(f"floor registered {len(monitor.registrations)} resources, expected {count}")


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


def main() -> None:
    run_program(groups_config(1), stack="bench")
    run_floor(10, "bench")

    print(f"{'scenario':<22} {'registrations':>13} {'lookups':>8} {'program s':>10} {'floor s':>8} {'ratio':>6}")
    ratios: dict[str, float] = {}
    for label, stack, config in scenarios():
        started = time.perf_counter()
        run = run_program(config, stack=stack)
        program_seconds = time.perf_counter() - started
        registrations = len(run.registrations)
        lookups = sum(run.mocks.calls.values())

        started = time.perf_counter()
        run_floor(registrations, stack)
        floor_seconds = time.perf_counter() - started

        ratios[label] = program_seconds / floor_seconds
        print(
            f"{label:<22} {registrations:>13} {lookups:>8} {program_seconds:>10.2f} {floor_seconds:>8.2f} "
            f"{ratios[label]:>5.2f}x"
        )

    ratio = ratios[f"{GOAL_GROUPS} sign-in groups"]
    verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
    print(f"\ngoal (at most {GOAL_RATIO}x the floor at {GOAL_GROUPS} groups): {verdict}, {ratio:.2f}x")

    run_verify_benchmark()


if __name__ == "__main__":
    main()
