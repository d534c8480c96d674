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


def test_components_hold_only_components_and_their_helpers() -> None:
    # The configuration modules moved to config/ (issue 21); none may come back here.
    names = {path.stem for path in (ROOT / "components").glob("*.py")}
    assert names.isdisjoint({"settings", "stack_yaml", "stack_files", "stack_config"})
