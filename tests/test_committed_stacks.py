"""The committed stack files (stacks/), which belong to the user: the only tests that read them.

Whatever a user puts there (the templates as shipped, real values, their own stack names), each
file must validate, placeholders allowed, and have a fresh grant manifest. Everything else is
tested on the fixture stacks (tests/fixtures/stacks), so any set of stack files keeps the suite
green once `make manifests` has run.
"""

from __future__ import annotations

import pytest

from config.settings import settings_from_stack_file
from config.stack_files import ROOT, stack_names
from scripts import grant_manifest


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_committed_stack_file_validates(stack: str) -> None:
    assert settings_from_stack_file(stack, ROOT, allow_placeholders=True).stack == stack


def test_committed_grant_manifests_are_fresh() -> None:
    stale = grant_manifest.stale_manifests(ROOT)
    assert not stale, "grant manifests are stale; run `make manifests` and commit the result:\n" + "\n".join(stale)
