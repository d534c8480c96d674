"""Times `make verify` against the offline fakes with 100 ms of simulated latency per call.

    venv/bin/python scripts/benchmark_verify.py

Scenario: the SCIM stack of tests/verify_fakes.py with a quarantined job and `--repair` (the
restart waits for the job's status and Test Connection, and the job is read again after it, so
that its last run is judged from the restart on) and one-item assignment pages (each
list takes two dependent calls). Prints the wall time next to the sum of all call latencies and
the longest chain of dependent calls: concurrent checks make the wall time follow the chain, not
the sum. The clock starts with the Graph sign-in, the first remote call; the fake Pulumi CLI
reads run alongside it.

Then the same with `--canary` (tests/canary_fakes.py): the person shows up in Cloudflare's SCIM
view only after one poll wait. The canary adds its own chain (lookup, provisionOnDemand, the
Cloudflare view; the schema is read beside the lookup) plus the polling, not the sum of its calls.
The poll wait runs on the fake's clock, so it is printed beside the wall time, not slept. Each
run is announced on stderr as it starts.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import respx  # noqa: E402
from canary_fakes import ALICE_UPN, CANARY_DEPENDS_ON, CANARY_PAGED, CanaryTenant  # noqa: E402
from verify_fakes import (  # noqa: E402
    CLOUDFLARE_TOKEN,
    NOW,
    FakeCredential,
    FakeTenant,
    longest_chain,
    stack_export,
    stack_outputs,
    write_project,
)

from ops import verify  # noqa: E402

LATENCY = 0.1


class StopwatchCredential(FakeCredential):
    """A fake sign-in with latency that records when the run's first remote call began."""

    started: float | None = None

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        if self.started is None:
            self.started = time.perf_counter()
        return super().get_token(*scopes, **kwargs)


def measure(tenant: FakeTenant, args: list[str], label: str, **chain: Any) -> None:
    """Run verify against `tenant` and print its wall time, longest chain and sum of latencies."""
    print(f"measuring {label} ...", file=sys.stderr, flush=True)
    credential = StopwatchCredential(latency=LATENCY)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        bin_dir = write_project(root, outputs=stack_outputs(), export=stack_export())
        clock = getattr(tenant, "clock", None)
        runtime = verify.Runtime(
            environ={
                "PATH": f"{bin_dir}:/usr/bin:/bin",
                "HOME": directory,
                "CLOUDFLARE_API_TOKEN": CLOUDFLARE_TOKEN,
                "PULUMI_CONFIG_PASSPHRASE": "",
            },
            credential=credential,
            now=lambda: NOW,
            root=root,
            **({"sleep": clock.sleep} if clock else {}),
        )
        with respx.mock(assert_all_called=False) as router:
            tenant.install(router)
            code = verify.main(["--stack", "dev", "--repair", *args], runtime, io.StringIO(), io.StringIO())
        ended = time.perf_counter()
    if code != 0 or credential.started is None:
        raise SystemExit(f"the benchmark scenario should verify cleanly, got exit code {code}")
    names = ["sign_in"] * credential.calls + [call.name for call in tenant.calls]
    print(f"{label}: {len(names)} calls at {LATENCY * 1000:.0f} ms each")
    print(f"  {'wall time':<26} {ended - credential.started:>5.2f} s")
    if clock and clock.sleeps:
        print(f"  {'+ polling (fake clock)':<26} {sum(clock.sleeps):>5.2f} s ({len(clock.sleeps)} wait(s), not slept)")
    print(f"  {'longest dependent chain':<26} {longest_chain(names, **chain) * LATENCY:>5.2f} s")
    print(f"  {'sum of all call latencies':<26} {len(names) * LATENCY:>5.2f} s")


def run() -> None:
    measure(FakeTenant(job_code="Quarantine", latency=LATENCY), [], "verify (SCIM, quarantined job, --repair)")
    print()
    measure(
        CanaryTenant(job_code="Quarantine", latency=LATENCY, visible_after=5.0),
        ["--canary", ALICE_UPN],
        "the same with --canary (the person shows up after one poll wait)",
        depends_on=CANARY_DEPENDS_ON,
        paged=CANARY_PAGED,
    )


if __name__ == "__main__":
    argparse.ArgumentParser(
        prog="scripts/benchmark_verify.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    run()
