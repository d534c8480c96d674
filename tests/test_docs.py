"""Nothing sends a reader to a place that does not exist.

The docs name paths and link to each other; code, comments, scripts, workflows and docs name
docs pages, their sections (`docs/x.md, Section`, `README.md "Section"`, `[text](x.md#anchor)`)
and make commands (`make verify STACK=<stack> ARGS=--repair`). Each must resolve: the file
exists, the section is one of its headings, the make target exists and make would accept the
command as written (a `--flag` after it is make's own option, which make refuses).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Made at run time, git-ignored: named in the docs, absent from a fresh clone.
RUNTIME_PATHS = (".pulumi-state/", ".pulumi-cli/", "venv/", "policy/venv")
# The user's own: the docs name the stack files (and their manifests) the templates ship as, which
# a user may rename or remove.
USER_PATHS = ("stacks/", "manifests/")
PATH_IN_CODE = re.compile(
    r"`\$?/?((?:\.github|\.vscode|[a-z_]+)/[\w./*-]+|[\w.-]+\.(?:ya?ml|toml|txt|json|md|version))`"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")

# Where references are collected: every text file of the project but the user's stack files
# (theirs to write) and this file (its examples are broken on purpose).
SCANNED_SUFFIXES = {".py", ".sh", ".md", ".yml", ".yaml", ".json", ".toml", ".txt", ".cfg"}
NOT_SCANNED = {"venv", ".git", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "stacks"}
NOT_SCANNED |= {".pulumi-state", ".pulumi-cli"}

# Not after `[`: a Markdown link's text, whose target test_every_link_resolves checks.
DOC = r"(?P<doc>(?<![\w/.\[-])(?:docs/)?[\w-]+\.md|(?<![\w/.\[-])README(?:\.md)?)"
# `docs/x.md, "Section"`, `docs/x.md, 'Section'`, `docs/x.md, Section` (a capitalised phrase up to
# punctuation) or `README.md "Section"`.
SECTION_REFERENCE = re.compile(
    DOC + r""",[ \t]*(?:"(?P<double>[^"\n]+)"|'(?P<single>[^'\n]+)'|(?P<plain>[A-Z][^()\n"'`;,.:]*?)(?=[)\n;,.:'"`]))"""
    r"""|""" + DOC.replace("doc>", "doc_quoted>") + r"""[ \t]+"(?P<quoted>[^"\n]+)\""""
)
DOC_PAGE = re.compile(r"(?<![\w/.-])docs/[\w-]+\.md\b")
# A page named by a path relative to the file that names it, e.g. `../shared/FACTS.md`.
RELATIVE_PAGE = re.compile(r"(?<![\w/.-])(?:\.\./)+[\w./-]+\.md\b")
# A make command as it is quoted in text: after a backtick, a quote, a parenthesis or at the start
# of a line; its variables, then anything that looks like an option (which make would take as its own).
MAKE_COMMAND = re.compile(
    r"""(?:^[ \t]*(?:\$[ \t]+)?|[`'"(])make[ \t]+(?P<target>[a-z][\w-]*)"""
    r"""(?P<variables>(?:[ \t]+[A-Za-z_]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s`'")]+))*)"""
    r"""(?P<option>[ \t]+--?[a-z][\w-]*)?""",
    re.MULTILINE,
)
VARIABLE = re.compile(r"""([A-Za-z_]+)=""")

MAKEFILE = (ROOT / "Makefile").read_text()
MAKE_TARGETS = set(re.findall(r"^([a-z][\w-]*)[ \t]*:(?!=)", MAKEFILE, re.MULTILINE))
MAKE_VARIABLES = set(re.findall(r"\$\((\w+)\)", MAKEFILE))


def scanned_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*")
        if path.is_file()
        and not NOT_SCANNED & set(path.relative_to(ROOT).parts)
        and (path.suffix in SCANNED_SUFFIXES or path.name == "Makefile")
        and path != Path(__file__).resolve()
    )


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(path: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in path.read_text().splitlines() if re.match(r"#{1,6} ", line)]


def anchors(path: Path) -> set[str]:
    return {slug(heading) for heading in headings(path)}


def same_heading(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("`", "").replace("*", "")).strip().lower()


def doc_path(doc: str, referrer: Path) -> Path:
    if doc.startswith("README"):
        return ROOT / "README.md"
    if "/" in doc:
        return ROOT / doc
    beside = referrer.parent / doc
    return beside if beside.exists() else ROOT / "docs" / doc


def broken_sections(text: str, referrer: Path) -> list[str]:
    broken = []
    for match in SECTION_REFERENCE.finditer(text):
        doc = match.group("doc") or match.group("doc_quoted")
        section = next(match.group(name) for name in ("double", "single", "plain", "quoted") if match.group(name))
        path = doc_path(doc, referrer)
        if not path.exists():
            broken.append(f"{doc}, {section!r}: no such file")
        elif same_heading(section) not in {same_heading(heading) for heading in headings(path)}:
            broken.append(f"{doc}, {section!r}: no such heading")
    return broken


def broken_make_commands(text: str) -> list[str]:
    broken = []
    for match in MAKE_COMMAND.finditer(text):
        command = match.group(0).lstrip("`'\"( \t$")
        if match.group("target") not in MAKE_TARGETS:
            broken.append(f"{command}: no target {match.group('target')!r} in the Makefile")
        unknown = set(VARIABLE.findall(match.group("variables"))) - MAKE_VARIABLES
        if unknown:
            broken.append(f"{command}: the Makefile reads no {', '.join(sorted(unknown))}")
        if match.group("option"):
            broken.append(f"{command}: make takes {match.group('option').strip()} as its own option (use ARGS=...)")
    return broken


def broken_pages(text: str, referrer: Path) -> list[str]:
    broken = [page for page in DOC_PAGE.findall(text) if not (ROOT / page).exists()]
    for page in RELATIVE_PAGE.findall(text):
        target = (referrer.parent / page).resolve()
        if not target.is_relative_to(ROOT) or not target.exists():
            broken.append(page)
    return broken


def test_docs_exist() -> None:
    names = {path.name for path in DOCS}
    expected = {"configuration.md", "ci.md", "security.md", "operations.md", "development.md", "verify.md", "adopt.md"}
    assert {"README.md", *expected} <= names


@pytest.mark.parametrize("path", scanned_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_docs_page_section_and_make_command_named_resolves(path: Path) -> None:
    text = path.read_text(errors="replace")
    assert broken_pages(text, path) + broken_sections(text, path) + broken_make_commands(text) == []


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


@pytest.mark.parametrize(
    "doc", [path for path in scanned_files() if path.suffix == ".md"], ids=lambda path: str(path.relative_to(ROOT))
)
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


def test_the_checks_catch_each_kind_of_broken_reference() -> None:
    referrer = ROOT / "components" / "example.py"
    good = (
        "# `make verify STACK=<stack> ARGS=--repair` (docs/operations.md, 'Recover the SCIM secret');\n"
        'see docs/verify.md, Permissions, README.md "Prerequisites", ../docs/ci.md, and run\n'
        '  make verify STACK="$STACK" ARGS="--json"\n'
    )
    assert broken_pages(good, referrer) + broken_sections(good, referrer) + broken_make_commands(good) == []
    bad = (
        "then `make verify --repair` or 'make deploy STACK=dev' or `make up STAK=dev`\n"
        '(docs/verify.md, Credentials); README "Security review: policy pack";\n'
        'docs/ci.md, "Keeping pins current";\n'
        "see docs/nowhere.md and docs/gone.md, 'Anything'\n"
        "# The release layout is in ../shared/FACTS.md\n"
    )
    assert broken_make_commands(bad) == [
        "make verify --repair: make takes --repair as its own option (use ARGS=...)",
        "make deploy STACK=dev: no target 'deploy' in the Makefile",
        "make up STAK=dev: the Makefile reads no STAK",
    ]
    assert broken_sections(bad, referrer) == [
        "docs/verify.md, 'Credentials': no such heading",
        "README, 'Security review: policy pack': no such heading",
        "docs/ci.md, 'Keeping pins current': no such heading",
        "docs/gone.md, 'Anything': no such file",
    ]
    assert broken_pages(bad, referrer) == ["docs/nowhere.md", "docs/gone.md", "../shared/FACTS.md"]


def test_the_readme_stays_under_16_kb() -> None:
    # The README is the manual's front page (issue 21): prose on configuration rules lives in
    # docs/configuration.md, and the generated key table is what grows with the contract.
    assert len((ROOT / "README.md").read_bytes()) < 16_000
