"""Where stack files live and which stacks exist: the one rule for scripts, tests, CI and tools.

Plain Python with no third-party import at module level, so CI's bare `python3` can list the
stacks (`.github/scripts/list_stacks.py`) before any dependency is installed.

The rule: `stacks/Pulumi.<stack>.yaml` or `stacks/Pulumi.<stack>.yml` (Pulumi reads either); a
stack with both files is an error, because which one Pulumi uses is not what a reviewer sees. A
stack name is what Pulumi accepts (letters, digits, `-`, `_` and `.`), so `Pulumi.prod.eu.yaml` is
stack `prod.eu`; a file named like a stack file whose name Pulumi would refuse is an error too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PROJECT_NAME = "entra-cloudflare"
# Pulumi.yaml's `stackConfigDir`.
STACK_CONFIG_DIR = "stacks"
ROOT = Path(__file__).resolve().parent.parent

# `Pulumi.<anything>.yaml|yml` claims to be a stack file; <anything> must then be a stack name as
# Pulumi defines it (pkg/backend: `^[A-Za-z0-9_.-]{1,100}$`), or the file is reported, not skipped.
_STACK_FILE = re.compile(r"Pulumi\.(?P<stack>.*)\.(?P<ext>yaml|yml)", re.DOTALL)
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
STACK_NAME_RULE = "letters, digits, '-', '_' and '.', at most 100 characters"


class StackFileError(ValueError):
    """A stack file that is missing, doubled or unreadable; the message names the file."""


class NoStackFileError(StackFileError):
    """The stack has no stack file: the one StackFileError a running program may fall back from."""


def _found(root: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """(stack -> its files, one problem per file whose name is not a valid stack name)."""
    found: dict[str, list[Path]] = {}
    problems: list[str] = []
    directory = root / STACK_CONFIG_DIR
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            match = _STACK_FILE.fullmatch(path.name)
            if not match:
                continue
            if _STACK_NAME.fullmatch(match["stack"]):
                found.setdefault(match["stack"], []).append(path)
            else:
                problems.append(
                    f"{STACK_CONFIG_DIR}/{path.name}: {match['stack']!r} is not a valid stack name "
                    f"({STACK_NAME_RULE}); rename or remove the file"
                )
    return found, problems


def stack_names(root: Path = ROOT) -> list[str]:
    """Every stack with a stack file, sorted; raises StackFileError naming every misnamed or doubled file."""
    found, problems = _found(root)
    problems += [
        f"a stack has two stack files: {STACK_CONFIG_DIR}/{paths[0].name} and {paths[1].name} (keep one)"
        for paths in found.values()
        if len(paths) > 1
    ]
    if problems:
        raise StackFileError("; ".join(problems))
    return sorted(found)


def stack_file(stack: str, root: Path = ROOT) -> Path:
    """The stack file of `stack`.

    Raises NoStackFileError, naming the known stacks, when the stack has none, and StackFileError
    when `stack` is not a valid stack name or a file in the folder breaks the rule.
    """
    if not _STACK_NAME.fullmatch(stack):
        raise StackFileError(f"{stack!r} is not a valid stack name ({STACK_NAME_RULE})")
    names = stack_names(root)
    if stack not in names:
        raise NoStackFileError(
            f"there is no stack file {STACK_CONFIG_DIR}/Pulumi.{stack}.yaml "
            f"(committed stacks: {', '.join(names) or 'none'})"
        )
    return _found(root)[0][stack][0]


def read_stack_config(path: Path) -> dict[str, Any]:
    """A stack file's `config` block as YAML types it (`<namespace>:<key>` -> value)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StackFileError(f"{path}: cannot be read as YAML: {error}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping with a `config` key, got {type(document).__name__}")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping of keys to values")
    return {str(key): value for key, value in config.items()}
