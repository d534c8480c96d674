"""Write the stacks CI acts on as GitHub Actions step outputs (JSON lists).

The list is read from stacks/Pulumi.<stack>.yaml, so a new stack file is previewed, deployed and
checked for drift without editing a workflow. The production stack is kept in a list of its own:
it deploys only through the protected `production` environment, never in the unprotected matrix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PRODUCTION_STACK = "prod"


def stack_names(stacks_dir: Path) -> list[str]:
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in stacks_dir.glob("Pulumi.*.yaml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks-dir", type=Path, default=Path("stacks"))
    parser.add_argument("--only", default="", help="act on this one stack (empty: every stack)")
    args = parser.parse_args(argv)

    names = stack_names(args.stacks_dir)
    if not names:
        print(f"no Pulumi.<stack>.yaml files in {args.stacks_dir}", file=sys.stderr)
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
