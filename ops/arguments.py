"""The command lines of `python -m ops.verify` and `python -m ops.adopt`, with nothing else loaded:
scripts/stack.sh checks a command's arguments with them (a tenth of a second) before any check
runs, and the commands parse theirs with the same parsers."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Final

_OBJECT_ID: Final = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_ADDRESS: Final = re.compile(r"^[^@\s/\\]+@[^@\s/\\]+$")


def canary_subject(text: str) -> str:
    """The --canary argument: a UPN or mail address (name@domain) or an object ID (a GUID)."""
    value = text.strip()
    if _OBJECT_ID.match(value) or _ADDRESS.match(value):
        return value
    raise ValueError(
        f"'{text}' is not a user: expected a userPrincipalName or mail address (name@domain) "
        "or an Entra object ID (a GUID)"
    )


def verify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops.verify",
        description="Check that a deployed stack's sign-in and provisioning work (docs/verify.md).",
    )
    parser.add_argument("--stack", required=True, help="the stack to verify (a stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--repair",
        action="store_true",
        help="restart a quarantined provisioning job whose credentials validate; changes nothing else",
    )
    parser.add_argument(
        "--canary",
        metavar="USER",
        type=_canary_argument,
        help="also provision this one user (UPN, mail or object ID) on demand, which sends their profile to "
        "Cloudflare, and check they arrive with the email Access will see (docs/verify.md, --canary)",
    )
    return parser


def _canary_argument(text: str) -> str:
    try:
        return canary_subject(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def adopt_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops.adopt",
        description="Find a setup made by hand in Entra and Cloudflare and record it as the stack's "
        "adopt block (docs/adopt.md).",
    )
    parser.add_argument("--stack", required=True, help="the stack to adopt into (a stacks/Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--write", action="store_true", help="write the adopt block into the stack file (default: a dry run)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


# The command behind each `make verify|adopt`, for scripts/stack.sh.
PARSERS: Final[dict[str, Callable[[], argparse.ArgumentParser]]] = {"verify": verify_parser, "adopt": adopt_parser}
