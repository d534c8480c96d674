"""Check one stack file offline, before anything is deployed or any credential is asked for.

    venv/bin/python scripts/check_stack.py <stack>
    venv/bin/python scripts/check_stack.py --for up --print production,pulumi-cli -- <stack>   # scripts/stack.sh

Exit 0 when the stack file is valid and holds no placeholder, after printing on stderr each
warning the deployment would give (groups that differ between the two apps, a long secret life);
exit 2 with every problem on stderr (each naming the key, the value and what belongs there)
otherwise, or with the usage when the arguments are wrong (`--help` shows it). It finds the stack
file by the project's one rule (config/stack_files.py), `.yaml` or `.yml`.

`--for <command>` also checks what that command needs (credentials, passphrase: the table in
ops/needs.py) and names every problem, the stack file's and the missing pieces, in one message,
the same one `python -m ops.verify` / `ops.adopt` give. The Pulumi CLI is left out: the caller,
`scripts/stack.sh`, provides the pinned one. `--print` then writes the named facts (`true` or
`false`) on one line of stdout, separated by spaces, for a script to read: `production` (the stack
declares itself production, the default) and, with `--for`, `pulumi-cli` (the command needs it).
With `--json`, problems also go to stdout as the JSON document verify and adopt print.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python scripts/check_stack.py`, the script's own folder is on sys.path, not the root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings, SettingsError, settings_from_stack_file  # noqa: E402
from config.stack_files import StackFileError  # noqa: E402
from ops import needs  # noqa: E402

# What --print can write, each as `true` or `false`.
FACTS: dict[str, Callable[[Settings, str | None], bool]] = {
    # A production stack runs the policy pack with its strict config (policy/prod-config.json).
    "production": lambda settings, command: settings.production,
    # Whether the command needs the Pulumi CLI (ops/needs.py), so stack.sh fetches it only then.
    "pulumi-cli": lambda settings, command: (
        command is not None and needs.Need.PULUMI_CLI in needs.COMMANDS[command].needs
    ),
}
# The facts that depend on the command: --print asks for --for with them.
COMMAND_FACTS = {"pulumi-cli"}


def _facts(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",")]
    unknown = [name for name in names if name not in FACTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fact {', '.join(unknown)} (known: {', '.join(FACTS)})")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/check_stack.py", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("stack", help="the stack whose file to check (stacks/Pulumi.<stack>.yaml or .yml)")
    parser.add_argument(
        "--for",
        dest="command",
        choices=sorted(needs.COMMANDS),
        help="also check what this command needs (ops/needs.py) and name every problem at once",
    )
    parser.add_argument(
        "--print",
        dest="facts",
        type=_facts,
        default=[],
        metavar="FACT[,FACT]",
        help=f"once the checks pass, print these facts (true/false) on one line: {', '.join(FACTS)} "
        f"({', '.join(sorted(COMMAND_FACTS))} with --for)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="with --for, also print the problems as the command's --json does, on stdout",
    )
    return parser


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None and COMMAND_FACTS.intersection(args.facts):
        parser.error(f"--print {', '.join(sorted(COMMAND_FACTS.intersection(args.facts)))} needs --for <command>")
    if args.command is None:
        try:
            settings = settings_from_stack_file(args.stack, root)
        except (SettingsError, StackFileError) as error:
            print(f"Stack {args.stack}: {error}", file=sys.stderr)
            return 2
    else:
        checked, problems = needs.check(args.command, args.stack, root=root, cli_provided=True)
        if problems or checked is None:
            headline = needs.cannot_run(args.command, args.stack)
            return needs.report_problems(headline, args.stack, 2, problems, args.json, sys.stdout, sys.stderr)
        settings = checked
    # On stderr: stdout carries only what --print asks for (scripts/stack.sh reads it).
    for warning in settings.warnings:
        print(f"Stack {args.stack}: warning: {warning}", file=sys.stderr)
    if args.facts:
        print(" ".join(str(FACTS[name](settings, args.command)).lower() for name in args.facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
