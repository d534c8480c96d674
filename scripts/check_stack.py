"""Check one stack file offline, before anything is deployed or any credential is asked for.

    venv/bin/python scripts/check_stack.py <stack>

Exit 0 when the stack file is valid and holds no placeholder; exit 2 with every problem on
stderr (each naming the key, the value and what belongs there) otherwise, or with the usage when
the arguments are wrong (`--help` shows it). `scripts/stack.sh` runs it first, so `make up` on an
unedited stack file stops before it touches anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python scripts/check_stack.py`, the script's own folder is on sys.path, not the root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.settings import SettingsError, settings_from_stack_file  # noqa: E402
from components.stack_files import StackFileError  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/check_stack.py", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("stack", help="the stack whose file to check (stacks/Pulumi.<stack>.yaml or .yml)")
    stack = parser.parse_args(argv).stack
    try:
        settings_from_stack_file(stack, ROOT)
    except (SettingsError, StackFileError) as error:
        print(f"Stack {stack}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
