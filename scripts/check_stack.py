"""Check one stack file offline, before anything is deployed or any credential is asked for.

    venv/bin/python scripts/check_stack.py <stack>
    venv/bin/python scripts/check_stack.py --print-secrets-provider <stack>   # for scripts/stack.sh

Exit 0 when the stack file is valid and holds no placeholder, after printing on stderr each
warning the deployment would give (groups that differ between the two apps, a long secret life);
exit 2 with every problem on stderr (each naming the key, the value and what belongs there)
otherwise, or with the usage when the arguments are wrong (`--help` shows it). `scripts/stack.sh`
runs it first, so `make up` on an unedited stack file stops before it touches anything; it finds
the stack file by the project's one rule (config/stack_files.py), `.yaml` or `.yml`.
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

from config.settings import SettingsError, settings_from_stack_file  # noqa: E402
from config.stack_files import StackFileError, read_stack_file, stack_file  # noqa: E402


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/check_stack.py", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("stack", help="the stack whose file to check (stacks/Pulumi.<stack>.yaml or .yml)")
    parser.add_argument(
        "--print-secrets-provider",
        action="store_true",
        help="once the check passes, print the stack file's secretsprovider (an empty line when it has none)",
    )
    args = parser.parse_args(argv)
    try:
        settings = settings_from_stack_file(args.stack, root)
        secrets_provider = read_stack_file(stack_file(args.stack, root)).get("secretsprovider")
    except (SettingsError, StackFileError) as error:
        print(f"Stack {args.stack}: {error}", file=sys.stderr)
        return 2
    # On stderr: stdout carries only what --print-secrets-provider asks for (scripts/stack.sh reads it).
    for warning in settings.warnings:
        print(f"Stack {args.stack}: warning: {warning}", file=sys.stderr)
    if args.print_secrets_provider:
        print("" if secrets_provider is None else secrets_provider)
    return 0


if __name__ == "__main__":
    sys.exit(main())
