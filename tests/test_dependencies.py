"""The locked environments: the stack's (pyproject.toml, uv.lock) and the policy pack's (policy/).
`make install` and `make policy-install` install exactly each lock (`uv sync --frozen`), which does
not look at pyproject.toml: these tests fail while a lock is stale, unpinned or hash-free."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT, ROOT / "policy"]


def pyproject(project: Path) -> dict[str, Any]:
    return tomllib.loads((project / "pyproject.toml").read_text())


def lock(project: Path) -> dict[str, Any]:
    return tomllib.loads((project / "uv.lock").read_text())


def declared(project: Path) -> dict[str, list[Requirement]]:
    """The project's requirements by group, `project` for [project] dependencies."""
    document = pyproject(project)
    groups = {"project": document["project"]["dependencies"], **document.get("dependency-groups", {})}
    return {group: [Requirement(line) for line in lines] for group, lines in groups.items()}


def pins(project: Path) -> dict[str, str]:
    """Every declared requirement of the project, name -> pinned version."""
    return {
        canonicalize_name(requirement.name): str(requirement.specifier).removeprefix("==")
        for requirements in declared(project).values()
        for requirement in requirements
    }


def root_package(project: Path) -> dict[str, Any]:
    [package] = [entry for entry in lock(project)["package"] if entry.get("source") == {"virtual": "."}]
    return package


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.relative_to(ROOT).as_posix() or "stack")
def test_every_declared_dependency_is_pinned_to_one_version(project: Path) -> None:
    for group, requirements in declared(project).items():
        for requirement in requirements:
            assert re.fullmatch(r"==[\w.]+", str(requirement.specifier)), (group, str(requirement))
            assert not requirement.marker and not requirement.extras and not requirement.url, (group, str(requirement))


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.relative_to(ROOT).as_posix() or "stack")
def test_the_lock_was_made_from_pyproject_as_it_is(project: Path) -> None:
    metadata = root_package(project)["metadata"]
    locked = {"project": metadata["requires-dist"], **metadata.get("requires-dev", {})}
    expected = {
        group: sorted((canonicalize_name(r.name), str(r.specifier)) for r in requirements)
        for group, requirements in declared(project).items()
    }
    recorded = {group: sorted((r["name"], r["specifier"]) for r in entries) for group, entries in locked.items()}
    assert recorded == expected


@pytest.mark.parametrize("project", PROJECTS, ids=lambda path: path.relative_to(ROOT).as_posix() or "stack")
def test_the_lock_pins_every_package_from_pypi_with_hashes(project: Path) -> None:
    packages = [entry for entry in lock(project)["package"] if entry.get("source") != {"virtual": "."}]
    assert len(packages) > len(pins(project))  # transitive packages are locked too
    for package in packages:
        assert package["source"] == {"registry": "https://pypi.org/simple"}, package["name"]
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        assert files, package["name"]
        for file in files:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", file["hash"]), (package["name"], file["url"])


def test_the_locks_pin_the_declared_versions() -> None:
    for project in PROJECTS:
        locked = {entry["name"]: entry["version"] for entry in lock(project)["package"]}
        for name, version in pins(project).items():
            assert locked[name] == version, (project, name)


def test_the_pack_pins_the_projects_sdk_versions() -> None:
    project, pack = pins(ROOT), pins(ROOT / "policy")
    assert pack == {"pulumi": project["pulumi"], "pulumi-policy": project["pulumi-policy"]}


def pinned_uv() -> tuple[str, list[str]]:
    """The version and the hashes in uv-requirements.txt, the one requirement it holds."""
    text = (ROOT / "uv-requirements.txt").read_text()
    requirement = re.fullmatch(r"uv==(\d+\.\d+\.\d+)((?: \\\n    --hash=sha256:[0-9a-f]{64})+)\n", text)
    assert requirement, "uv-requirements.txt: expected `uv==X.Y.Z` followed only by its --hash=sha256: lines"
    return requirement.group(1), re.findall(r"sha256:([0-9a-f]{64})", requirement.group(2))


def test_the_uv_make_install_fetches_is_pinned_with_a_hash_for_each_file() -> None:
    _version, hashes = pinned_uv()
    # One per file PyPI publishes (a wheel per platform, the sdist): pip refuses any other file.
    assert len(hashes) == len(set(hashes)) > 1


def test_both_projects_need_the_uv_that_make_install_fetches() -> None:
    version, _hashes = pinned_uv()
    for project in PROJECTS:
        assert pyproject(project)["tool"]["uv"] == {"package": False, "required-version": f">={version}"}


def test_make_installs_each_lock_as_it_is_and_again_when_it_changes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    sync = re.search(r"^UV_SYNC\s*:=\s*\$\(UV\) sync (.+)$", makefile, re.MULTILINE)
    assert sync and "--frozen" in sync.group(1).split()
    assert re.search(r"^\$\(BIN\)/\.installed: pyproject\.toml uv\.lock \|", makefile, re.MULTILINE)
    assert re.search(r"^policy/venv/\.installed: policy/pyproject\.toml policy/uv\.lock \|", makefile, re.MULTILINE)
