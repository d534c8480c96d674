"""Times the offline evaluation of the whole program under Pulumi's mock runtime.

    venv/bin/python scripts/benchmark.py      (or `make bench`)

Scenarios: the committed dev stack, then 1, 100 and 1000 sign-in groups (each also provisioned
by SCIM). Prints declared resources, directory lookups and wall-clock seconds per scenario.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import ACCOUNT_ID, run_program, stack_file_config  # noqa: E402


def scenarios() -> list[tuple[str, str, dict[str, Any]]]:
    result = [("dev stack file", "dev", stack_file_config("dev"))]
    for count in (1, 100, 1000):
        groups = [f"Cloudflare Users {index:04d}" for index in range(count)]
        config = {"cloudflareAccountId": ACCOUNT_ID, "teamName": "bench", "signInGroups": groups}
        result.append((f"{count} sign-in groups", "bench", config))
    return result


def main() -> None:
    print(f"{'scenario':<22} {'resources':>9} {'lookups':>8} {'seconds':>8}")
    for label, stack, config in scenarios():
        started = time.perf_counter()
        run = run_program(config, stack=stack)
        elapsed = time.perf_counter() - started
        resources = sum(1 for r in run.registrations if r.custom)
        lookups = sum(run.mocks.calls.values())
        print(f"{label:<22} {resources:>9} {lookups:>8} {elapsed:>8.2f}")


if __name__ == "__main__":
    main()
