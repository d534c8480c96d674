"""Where stack files live and which stacks exist: the one rule for scripts, tests, CI and tools.

Plain Python with no third-party import at module level, so CI's bare `python3` can list the
stacks (`.github/scripts/list_stacks.py`) before any dependency is installed.

The rule: `stacks/Pulumi.<stack>.yaml` or `stacks/Pulumi.<stack>.yml` (Pulumi reads either); a
stack with both files is an error, because which one Pulumi uses is not what a reviewer sees. A
stack name is what Pulumi accepts (letters, digits, `-`, `_` and `.`), so `Pulumi.prod.eu.yaml` is
stack `prod.eu`; a file named like a stack file whose name Pulumi would refuse is an error too.
"""

from __future__ import annotations

import difflib
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
# The fields of a stack file (Pulumi's workspace.ProjectStack, sdk/go/common/workspace/project.go).
TOP_LEVEL_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
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


def find_stack_files(root: Path = ROOT) -> tuple[dict[str, Path], list[str]]:
    """(each stack with one stack file -> that file, one problem per misnamed or doubled file)."""
    found, problems = _found(root)
    problems += [
        f"a stack has two stack files: {STACK_CONFIG_DIR}/{paths[0].name} and {paths[1].name} (keep one)"
        for paths in found.values()
        if len(paths) > 1
    ]
    return {stack: paths[0] for stack, paths in found.items() if len(paths) == 1}, problems


def stack_names(root: Path = ROOT) -> list[str]:
    """Every stack with a stack file, sorted; raises StackFileError naming every misnamed or doubled file."""
    stacks, problems = find_stack_files(root)
    if problems:
        raise StackFileError("; ".join(problems))
    return sorted(stacks)


def stack_file(stack: str, root: Path = ROOT) -> Path:
    """The stack file of `stack`.

    Raises NoStackFileError, naming the known stacks, when the stack has none, and StackFileError
    when `stack` is not a valid stack name or a file in the folder breaks the rule.
    """
    if not _STACK_NAME.fullmatch(stack):
        raise StackFileError(f"{stack!r} is not a valid stack name ({STACK_NAME_RULE})")
    stacks, problems = find_stack_files(root)
    if problems:
        raise StackFileError("; ".join(problems))
    if stack not in stacks:
        raise NoStackFileError(
            f"there is no stack file {STACK_CONFIG_DIR}/Pulumi.{stack}.yaml "
            f"(stack files found for: {', '.join(sorted(stacks)) or 'none'})"
        )
    return stacks[stack]


def read_stack_file(path: Path) -> dict[str, Any]:
    """A stack file's top-level mapping, as Pulumi types it, with its `config` a mapping.

    Read with config/stack_yaml.py (YAML 1.2, as Pulumi's CLI reads it), not PyYAML's YAML 1.1.
    Every top-level key must be one Pulumi reads (TOP_LEVEL_KEYS), and `config`, when given and not
    null, a mapping; all such problems are reported in one StackFileError.
    """
    import yaml

    from config import stack_yaml

    shown = _shown(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
        document = stack_yaml.load(text)
    except OSError as error:
        raise StackFileError(f"{shown}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise StackFileError(
            f"{shown}: not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save it as UTF-8"
        ) from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{shown}: cannot be read as YAML: {_yaml_problem(error, text)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(
            f"{shown}: expected a mapping of top-level keys ({', '.join(TOP_LEVEL_KEYS)}), "
            f"got a {type(document).__name__}"
        )
    problems = [_unknown_key(key) for key in document if key not in TOP_LEVEL_KEYS]
    if problems:
        problems[-1] += f" (a stack file holds only {', '.join(TOP_LEVEL_KEYS)})"
    if document.get("config") is not None and not isinstance(document["config"], dict):
        problems.append(f"`config` must be a mapping of keys to values, got {_shown_value(document['config'])}")
    if problems:
        raise StackFileError(f"{shown}: {'; '.join(problems)}")
    return document


def read_stack_config(path: Path) -> dict[str, Any]:
    """A stack file's `config` block as Pulumi types it (`<namespace>:<key>` -> value); see read_stack_file."""
    config = read_stack_file(path).get("config") or {}
    return {str(key): value for key, value in config.items()}


def _unknown_key(key: object) -> str:
    close = difflib.get_close_matches(str(key), TOP_LEVEL_KEYS, n=1)
    return f"unknown top-level key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _shown_value(value: object) -> str:
    """A value's type, not its text: a misplaced value may be a credential."""
    return type(value).__name__


def _shown(path: Path) -> str:
    """A stack file's name as users know it (`stacks/Pulumi.dev.yaml`)."""
    return f"{STACK_CONFIG_DIR}/{path.name}" if path.parent.name == STACK_CONFIG_DIR else str(path)


def _yaml_problem(error: Exception, text: str) -> str:
    """The parser's problem and where it is, without PyYAML's copy of the line: it may hold a secret."""
    import yaml

    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context
        context = f" ({error.context})" if error.problem and error.context else ""
        return f"{where}{problem}{context}"
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return f"line {line}: character U+{code:04X} is not allowed in YAML ({error.reason})"
    return str(error)
