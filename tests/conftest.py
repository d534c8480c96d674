"""Fixtures only; the mock runtime and helpers live in tests/harness.py."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def _fresh_config() -> Iterator[None]:
    yield
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate it signed (tests/entra_https_fake.py), once a module."""
    return make_certificates(tmp_path_factory.mktemp("tls"))
