"""This stack's raw configuration, read for `load_settings` through the public SDK.

The engine hands every non-string value to the program as JSON text, so a list given where a
display name belongs (`loginAppName: [a, b]`) would arrive as the string '["a","b"]'. The stack
file is therefore the source of each key's YAML type, and of the key inventory (misspelt keys
and namespaces are reported, not ignored). A key the stack file lacks (a Pulumi.yaml default,
an ESC environment) is read from the engine with `pulumi.Config` and decoded by its declared
type. Secret values are never read here: `__main__.py` takes them with `get_secret`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from config.settings import ENGINE_SECRET, Settings, SettingsError, keys_of, load_settings, split_namespaces
from config.stack_files import NoStackFileError, StackFileError, read_stack_config, stack_file


def stack_settings(project: str, stack: str, root: Path) -> Settings:
    """The stack's validated Settings. A bad stack file or configuration stops the program with a
    `pulumi.RunError`, which Pulumi reports as its message alone, without a Python traceback."""
    try:
        own, others = read_config(project, stack, root)
        return load_settings(own, stack, others)
    except (StackFileError, SettingsError) as error:
        raise pulumi.RunError(f"Stack {stack}: {error}") from None


def read_config(project: str, stack: str, root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(this project's keys without namespace, every other `<namespace>:<key>` in the stack file)."""
    try:
        path = stack_file(stack, root)
    except NoStackFileError:
        # Config given entirely by the engine: nothing to take types from. Any other problem (two
        # stack files, one that cannot be read) stops the program: that file would go unchecked.
        file_config = {}
    else:
        file_config = read_stack_config(path)
    own, others = split_namespaces(file_config, project)
    config = pulumi.Config(project)
    for _, spec in keys_of(Settings):
        if spec.name in own:
            continue
        if spec.kind == "secret":
            if config.get_secret(spec.name) is not None:
                own[spec.name] = ENGINE_SECRET
            continue
        value = config.get(spec.name)
        if value is not None:
            own[spec.name] = value
    return own, others
