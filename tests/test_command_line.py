"""Every script and command answers `--help` with its usage, exits 0 and does nothing else."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each script in the repository, as it is run (a new one must be added here: see the last test).
SCRIPTS = {
    "scripts/benchmark.py": [sys.executable, "scripts/benchmark.py"],
    "scripts/benchmark_verify.py": [sys.executable, "scripts/benchmark_verify.py"],
    "scripts/benchmark_install.sh": ["bash", "scripts/benchmark_install.sh"],
    "scripts/check_stack.py": [sys.executable, "scripts/check_stack.py"],
    "scripts/cloudflare_stubs.py": [sys.executable, "scripts/cloudflare_stubs.py"],
    "scripts/config_contract.py": [sys.executable, "scripts/config_contract.py"],
    "scripts/grant_manifest.py": [sys.executable, "scripts/grant_manifest.py"],
    "scripts/pulumi_cli.py": [sys.executable, "scripts/pulumi_cli.py"],
    "scripts/stack.sh": ["bash", "scripts/stack.sh"],
    ".github/scripts/list_stacks.py": [sys.executable, ".github/scripts/list_stacks.py"],
    ".github/scripts/canary.sh": ["bash", ".github/scripts/canary.sh"],
    "ops/verify.py": [sys.executable, "-m", "ops.verify"],
    "ops/adopt.py": [sys.executable, "-m", "ops.adopt"],
}
SKIPPED = shutil.ignore_patterns("venv", ".uv", ".git", "__pycache__", ".*_cache", ".pulumi-*", "node_modules")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file but bytecode, with its size and modification time."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("checkout") / "repo"
    shutil.copytree(ROOT, copy, ignore=SKIPPED)
    return copy


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_prints_the_usage_exits_0_and_does_nothing_else(script: str, checkout: Path) -> None:
    before = snapshot(checkout)
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(checkout),
        # A download or deployment would reach for these; nothing listens there.
        "PULUMI_RELEASES_URL": "http://127.0.0.1:9",
        "PULUMI_CLI_DIR": str(checkout / ".pulumi-cli"),
        "PULUMI_BACKEND_URL": f"file://{checkout}/.pulumi-state",
        "VENV_PYTHON": sys.executable,
    }
    result = subprocess.run(
        [*SCRIPTS[script], "--help"],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lower().startswith("usage:"), result.stdout[:200]
    # A benchmark or deployment that ran anyway would announce itself on stderr (the timeout only
    # keeps a hung script from hanging the suite; speed is the benchmarks' business, not a test's).
    assert result.stderr == ""
    assert snapshot(checkout) == before
    assert not (checkout / ".pulumi-cli").exists() and not (checkout / ".pulumi-state").exists()


def test_every_script_is_in_the_list() -> None:
    found = {str(path.relative_to(ROOT)) for path in (ROOT / "scripts").iterdir() if path.suffix in (".py", ".sh")}
    found |= {str(path.relative_to(ROOT)) for path in (ROOT / ".github" / "scripts").iterdir()}
    assert found <= set(SCRIPTS)


def test_bench_announces_each_row_on_stderr_before_measuring_it(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    spec = importlib.util.spec_from_file_location("benchmark", ROOT / "scripts" / "benchmark.py")
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    measured: list[str] = []

    def measure(stack: str, config: dict[str, Any]) -> tuple[int, int, float, float, float]:
        # What was announced by the time this row starts.
        measured.append(capsys.readouterr().err)
        return 1, 0, 1.0, 1.0, 1.0

    labels = ["first row", "1000 sign-in groups"]  # main() reads the goal's row by its label
    monkeypatch.setattr(benchmark, "scenarios", lambda: [(label, "bench", {}) for label in labels])
    monkeypatch.setattr(benchmark, "measure", measure)
    monkeypatch.setattr(benchmark, "run_verify_benchmark", lambda: None)
    benchmark.main([])
    assert measured == [f"measuring {label} ...\n" for label in labels]
