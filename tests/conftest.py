"""Fixtures, and the split of the suite into two halves; the mock runtime and helpers live in
tests/harness.py."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pytest

# Tests import the project (components, scripts, ops) and the harness by their top-level names.
ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from entra_https_fake import Certificates, make_certificates  # noqa: E402 (needs tests/ on sys.path)

# `make test` runs the suite as two pytest processes side by side (`--part`), one a half, each
# collecting only its own files: with pytest-xdist every worker collected the whole suite, importing
# the SDKs (the Cloudflare SDK alone takes 3 s) and rewriting every test file again, which cost a
# fifth of the suite's CPU (docs/development.md, "Speed"). The repository half: the tests that run
# the repository's scripts, make and zizmor as processes, or read its files; the program half:
# everything else, the program and the commands run in-process. Plain `pytest` runs both.
REPOSITORY_TESTS = frozenset(
    {
        "test_cloudflare_stubs.py",
        "test_command_line.py",
        "test_committed_stacks.py",
        "test_config_contract.py",
        "test_dependencies.py",
        "test_docs.py",
        "test_grant_manifest.py",
        "test_integration.py",
        "test_layout.py",
        "test_pulumi_cli.py",
        "test_stack_script.py",
        "test_workflows.py",
    }
)
PARTS = ("program", "repository")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=PARTS,
        help="run one half of the suite: repository (tests/conftest.py, REPOSITORY_TESTS) or program (the rest)",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    # What the collection imported (the SDKs' classes, hundreds of thousands of objects) lives as
    # long as the process: out of the garbage collector's way, each collection is about a third
    # cheaper. Objects the tests create are collected as usual.
    gc.freeze()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    part = config.getoption("--part")
    if part is None or not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    # True leaves the other half out; None (never False) leaves pytest's own --ignore in force.
    return True if (collection_path.name in REPOSITORY_TESTS) != (part == "repository") else None


@pytest.fixture(autouse=True)
def _fresh_config() -> Iterator[None]:
    yield
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate it signed (tests/entra_https_fake.py), once a module."""
    return make_certificates(tmp_path_factory.mktemp("tls"))
