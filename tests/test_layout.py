"""The house's one-way imports: config/ never loads a Pulumi resource, components/ never loads config/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    """Module file -> every module it imports (absolute names), read from the source."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path.name] = names
    return found


def test_components_never_import_config() -> None:
    offenders = {
        module: sorted(name for name in names if name == "config" or name.startswith("config."))
        for module, names in imported_modules("components").items()
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_config_imports_no_pulumi_resource() -> None:
    # In a fresh interpreter: what config/ loads, directly or through the helpers it uses.
    probe = (
        "import sys, config.settings, config.stack_files, config.stack_yaml;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi_azuread', 'pulumi_cloudflare', 'pulumi')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_checks_before_every_make_command_load_no_http_stack_and_no_sdk() -> None:
    # scripts/check_stack.py runs before every make up|preview|rotate-now|verify|adopt: it reads
    # the stack file and the environment only, so a whole check (here on a stack with no file, with
    # a service principal's variables) loads neither an HTTP client nor an SDK.
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['scripts/check_stack.py', '--for', 'verify', '--', 'no-such-stack']\n"
        "try:\n    runpy.run_path('scripts/check_stack.py', run_name='__main__')\nexcept SystemExit as done:\n"
        "    assert done.code == 2, done.code\n"
        "heavy = ('httpx', 'azure', 'msal', 'pulumi', 'pulumi_azuread', 'pulumi_cloudflare', 'grpc')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "CLOUDFLARE_API_TOKEN": "t",
        "ARM_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
        "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000002",
        "ARM_CLIENT_SECRET": "s",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert "Cannot verify stack no-such-stack:" in result.stderr
    assert result.stdout.strip() == "[]"


def test_components_hold_only_components_and_their_helpers() -> None:
    # The configuration modules moved to config/ (issue 21); none may come back here.
    names = {path.stem for path in (ROOT / "components").glob("*.py")}
    assert names.isdisjoint({"settings", "stack_yaml", "stack_files", "stack_config"})


def project_imports(module: str) -> set[str]:
    """The project modules `module` imports anywhere in its source, function bodies included."""
    path = ROOT / (module.replace(".", "/") + ".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found.update(name for name in names if (ROOT / (name.replace(".", "/") + ".py")).is_file())
    return found


def test_components_reach_config_through_no_module() -> None:
    # The attribute-mappings provider signs in through ops/ when the engine calls it: nothing it
    # reaches that way, however deep, may read the configuration either.
    for start in sorted(f"components.{path.stem}" for path in (ROOT / "components").glob("*.py")):
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(project_imports(module))
        assert sorted(name for name in seen if name.startswith("config.")) == [], start


def test_the_repository_half_of_the_suite_names_only_test_files_that_exist() -> None:
    # `--part` (tests/conftest.py) splits the suite by file name: a renamed or removed file would
    # silently move its tests to the other half, or name nothing.
    from conftest import REPOSITORY_TESTS

    test_files = {path.name for path in (ROOT / "tests").glob("test_*.py")}
    assert REPOSITORY_TESTS - test_files == set()
