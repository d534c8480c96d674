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


@pytest.fixture(autouse=True)
def _fresh_config() -> Iterator[None]:
    yield
    pulumi.runtime.set_all_config({}, [])
