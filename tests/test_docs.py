"""The docs cannot drift from the code: every make target, path and link they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
# Made at run time, git-ignored: named in the docs, absent from a fresh clone.
RUNTIME_PATHS = (".pulumi-state/", ".pulumi-cli/", "venv/", "policy/venv")
# The user's own: the docs name the stack files (and their manifests) the templates ship as, which
# a user may rename or remove.
USER_PATHS = ("stacks/", "manifests/")
PATH_IN_CODE = re.compile(
    r"`\$?/?((?:\.github|\.vscode|[a-z_]+)/[\w./*-]+|[\w.-]+\.(?:ya?ml|toml|txt|json|md|version))`"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")}


def test_docs_exist() -> None:
    names = {path.name for path in DOCS}
    assert {
        "README.md",
        "configuration.md",
        "ci.md",
        "security.md",
        "operations.md",
        "development.md",
        "verify.md",
        "adopt.md",
    } <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_make_target_named_exists(doc: Path) -> None:
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]+)", doc.read_text(), re.MULTILINE))
    assert named - MAKE_TARGETS == set()


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_path_named_exists(doc: Path) -> None:
    missing = []
    for path in PATH_IN_CODE.findall(doc.read_text()):
        if "<" in path or "*" in path or path.startswith((*RUNTIME_PATHS, *USER_PATHS)):
            continue
        places = [ROOT / path] if "/" in path else [ROOT / path, doc.parent / path]
        if not any(place.exists() for place in places):
            missing.append(path)
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_link_resolves(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        anchor_missing = bool(anchor) and linked.suffix == ".md" and anchor not in anchors(linked)
        if not linked.exists() or anchor_missing:
            broken.append(target)
    assert broken == []


def test_the_checks_see_paths_targets_and_links() -> None:
    text = "see `scripts/no_such.py`, `$/.github/actions/x`, `Pulumi.yaml` and [ops](docs/ops.md#x)\n`make up`"
    assert PATH_IN_CODE.findall(text) == ["scripts/no_such.py", ".github/actions/x", "Pulumi.yaml"]
    assert LINK.findall(text) == ["docs/ops.md#x"]
