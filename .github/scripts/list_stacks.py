"""Write the stacks CI acts on as GitHub Actions step outputs (JSON lists).

The list comes from the project's one rule for stack files (config/stack_files.py), so a new
stack file is previewed, deployed and checked for drift without editing a workflow. Each stack
is production or not as its own file declares (`production`, default true: config/settings.py),
never by its name; production stacks are kept in a list of their own, which the workflows run
only through their protected environments (docs/ci.md).

Reads the stack files with the project's settings validator (placeholders allowed), so it needs
the project's venv: a stack file that does not validate stops CI here, naming its problems.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from config.settings import SettingsError, settings_from_stack_file  # noqa: E402 (needs ROOT on sys.path)
from config.stack_files import StackFileError, stack_names  # noqa: E402


def stack_lists(root: Path, only: str = "") -> dict[str, list[str]]:
    """`all`, `non_production` and `production` stack names; raises StackFileError naming the problem."""
    names = stack_names(root)
    if not names:
        raise StackFileError("no stacks/Pulumi.<stack>.yaml files")
    if only:
        if only not in names:
            raise StackFileError(f"unknown stack {only!r}; expected one of {', '.join(names)}")
        names = [only]
    production = {name: _is_production(name, root) for name in names}
    return {
        "all": names,
        "non_production": [name for name in names if not production[name]],
        "production": [name for name in names if production[name]],
    }


def _is_production(stack: str, root: Path) -> bool:
    try:
        return settings_from_stack_file(stack, root, allow_placeholders=True).production
    except SettingsError as error:
        raise StackFileError(f"stack {stack!r}: {error}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="", help="act on this one stack (empty: every stack)")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the project folder holding stacks/ (default: this one)"
    )
    args = parser.parse_args(argv)

    try:
        outputs = stack_lists(args.root, args.only)
    except StackFileError as error:
        print(error, file=sys.stderr)
        return 1
    lines = [f"{key}={json.dumps(value)}" for key, value in outputs.items()]
    print("\n".join(lines))
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
