"""What each command needs before it starts, in one table, and the one check that names every
missing piece at once.

`scripts/stack.sh` (behind `make up|preview|rotate-now|verify|adopt`) runs the check through
`scripts/check_stack.py --for <command>`; `python -m ops.verify` and `python -m ops.adopt` run it
themselves (`ops/command.py`). Same table, same messages, so a command names the same missing
pieces through make as directly.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Final, NamedTuple, TextIO

from config.settings import Settings, SettingsError, settings_from_stack_file
from config.stack_files import ROOT, StackFileError, read_stack_file, stack_file
from ops.credentials import (
    CredentialsError,
    SignIn,
    azure_cli_sign_in_problems,
    cloudflare_token,
    endpoints_from_env,
    entra_sign_in,
)
from ops.permissions import CLOUDFLARE_ACCESS_READ, CLOUDFLARE_ACCESS_WRITE
from ops.stack_outputs import backend_env


class Need(Enum):
    CLOUDFLARE_TOKEN = "Cloudflare API token"
    ENTRA = "Entra credentials"
    # Only where the stack's secrets are encrypted with it: see passphrase_needed.
    PASSPHRASE = "state passphrase"
    PULUMI_CLI = "Pulumi CLI"


class Command(NamedTuple):
    needs: frozenset[Need]
    # The Cloudflare token's permission for this command, and where the docs list it.
    cloudflare_permission: str


_DEPLOY: Final = Command(
    frozenset(Need),
    f"'{CLOUDFLARE_ACCESS_WRITE}' (README.md, Prerequisites)",
)
# verify reads the stack's outputs and its client secret with `pulumi stack output` and
# `pulumi stack export --show-secrets` (ops/stack_outputs.py), so it needs the CLI and the
# passphrase that decrypts the secret. adopt reads only the stack file and the live services
# (ops/adopt.py): no state, no CLI.
COMMANDS: Final[Mapping[str, Command]] = {
    "up": _DEPLOY,
    "preview": _DEPLOY,
    "rotate-now": _DEPLOY,
    "verify": Command(
        frozenset(Need),
        f"'{CLOUDFLARE_ACCESS_READ}' (docs/verify.md, Permissions)",
    ),
    "adopt": Command(
        frozenset({Need.CLOUDFLARE_TOKEN, Need.ENTRA}),
        f"'{CLOUDFLARE_ACCESS_READ}' (docs/adopt.md, Before you start)",
    ),
}


def cannot_run(command: str, stack: str) -> str:
    """The headline over a command's problems, the same from make as run directly."""
    return f"Cannot {'adopt into' if command == 'adopt' else command} stack {stack}"


def report_problems(
    headline: str, stack: str, code: int, problems: list[str], as_json: bool, out: TextIO, err: TextIO
) -> int:
    """A command's problems, one a line under `headline` on stderr (and as JSON on stdout with
    --json); returns `code`, the exit code."""
    err.write(f"{headline}:\n" + "".join(f"  - {problem}\n" for problem in problems))
    if as_json:
        out.write(json.dumps({"stack": stack, "exitCode": code, "problems": problems}, indent=2) + "\n")
    return code


PASSPHRASE_ENV: Final = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV: Final = "PULUMI_CONFIG_PASSPHRASE_FILE"


def passphrase_needed(secrets_provider: str | None, backend_url: str) -> bool:
    """Pulumi encrypts a stack's secrets with the passphrase when its stack file says
    `secretsprovider: passphrase`, or says none on a self-managed backend (file://, s3://, ...);
    Pulumi Cloud (an http(s) backend) has its own default."""
    if secrets_provider in (None, "", "default"):
        return not backend_url.startswith(("https://", "http://"))
    return secrets_provider == "passphrase"


def _secrets_provider(stack: str, root: Path) -> str | None:
    try:
        value = read_stack_file(stack_file(stack, root)).get("secretsprovider")
    except StackFileError:
        return None  # the stack-file check names this problem
    return None if value is None else str(value)


def check(
    command: str,
    stack: str,
    environ: Mapping[str, str] = os.environ,
    root: Path = ROOT,
    *,
    cli_provided: bool = False,
    entra_provided: bool = False,
) -> tuple[Settings | None, list[str]]:
    """The stack's settings (None when its file is bad) and every problem in one list: the stack
    file's first, then each piece `command` needs that is missing, each naming what to set.

    `cli_provided`: the caller supplies the pinned Pulumi CLI (scripts/stack.sh fetches it after
    this check). `entra_provided`: the caller brings its own Entra credential (tests).
    """
    problems: list[str] = []
    settings: Settings | None = None
    try:
        settings = settings_from_stack_file(stack, root)
    except SettingsError as error:
        # One item per key, beside the missing pieces, rather than a list inside a list.
        problems += [f"invalid stack configuration: {problem}" for problem in error.problems]
    except StackFileError as error:
        problems.append(str(error))
    needs, cloudflare_permission = COMMANDS[command]
    if Need.CLOUDFLARE_TOKEN in needs:
        try:
            cloudflare_token(environ, cloudflare_permission)
        except CredentialsError as error:
            problems += error.problems
    if Need.ENTRA in needs and not entra_provided:
        # The endpoints (ARM_ENVIRONMENT, the CA bundle) and the way to sign in, each named when
        # wrong; the credential itself is built only by the command that signs in.
        try:
            endpoints_from_env(environ)
        except CredentialsError as error:
            problems += error.problems
        try:
            if entra_sign_in(environ) is SignIn.AZURE_CLI:
                problems += azure_cli_sign_in_problems(environ)
        except CredentialsError as error:
            problems += error.problems
    backend = backend_env(environ, root)["PULUMI_BACKEND_URL"]
    if Need.PASSPHRASE in needs and passphrase_needed(_secrets_provider(stack, root), backend):
        passphrase_file = environ.get(PASSPHRASE_FILE_ENV)
        if passphrase_file and not Path(passphrase_file).is_file():
            problems.append(
                f"{PASSPHRASE_FILE_ENV}={passphrase_file!r} names no file: point it at the passphrase's file"
            )
        elif PASSPHRASE_ENV not in environ and not passphrase_file:
            problems.append(
                f"{PASSPHRASE_ENV} (or {PASSPHRASE_FILE_ENV}): the passphrase that encrypts the client secret in "
                f"the state on {backend}; keep it safe"
            )
    if Need.PULUMI_CLI in needs and not cli_provided and shutil.which("pulumi", path=environ.get("PATH")) is None:
        problems.append(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) "
            f"or run 'make {command} STACK={stack}', which uses the pinned CLI"
        )
    return settings, problems
