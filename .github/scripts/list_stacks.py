"""Write the stacks CI acts on as GitHub Actions step outputs (JSON lists).

The list comes from the project's one rule for stack files (config/stack_files.py), so a new
stack file is previewed, deployed and checked for drift without editing a workflow. The
production stack is kept in a list of its own: it deploys only through the protected
`production` environment, never in the unprotected matrix.

Runs with a bare `python3` before anything is installed: stack_files imports only the standard
library at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from config.stack_files import StackFileError, stack_names  # noqa: E402 (needs ROOT on sys.path)

PRODUCTION_STACK = "prod"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="act on this one stack (empty: every stack)")
    args = parser.parse_args(argv)

    try:
        names = stack_names(ROOT)
    except StackFileError as error:
        print(error, file=sys.stderr)
        return 1
    if not names:
        print("no stacks/Pulumi.<stack>.yaml files", file=sys.stderr)
        return 1
    if args.only:
        if args.only not in names:
            print(f"unknown stack {args.only!r}; expected one of {', '.join(names)}", file=sys.stderr)
            return 1
        names = [args.only]

    outputs = {
        "all": names,
        "non_production": [name for name in names if name != PRODUCTION_STACK],
        "production": [name for name in names if name == PRODUCTION_STACK],
    }
    lines = [f"{key}={json.dumps(value)}" for key, value in outputs.items()]
    print("\n".join(lines))
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
