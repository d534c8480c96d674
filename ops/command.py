"""What the ops commands (`ops.verify`, `ops.adopt`) share before their first call and after their
last: the outside world they run in, the checks of what they need, the Entra sign-in, and the one
line an unexpected error becomes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TextIO

import httpx

from config.settings import Settings
from config.stack_files import ROOT
from ops import needs
from ops.clients import SyncTokenCredential
from ops.credentials import (
    CredentialsError,
    Endpoints,
    cloudflare_token,
    endpoints_from_env,
    entra_credential,
)
from ops.redaction import Secret
from ops.sign_in import CannotRunError

DEBUG_VARIABLE = "ENTRA_CF_DEBUG"


@dataclass
class Runtime:
    """What a command takes from the outside world; tests replace parts of it."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    credential: SyncTokenCredential | None = None  # None: from the ARM_* variables
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    root: Path = ROOT
    transport: httpx.AsyncBaseTransport | None = None


class Prerequisites(NamedTuple):
    settings: Settings
    endpoints: Endpoints
    credential: SyncTokenCredential
    cloudflare_token: Secret


def prerequisites(command: str, stack: str, runtime: Runtime) -> Prerequisites:
    """Everything `command` needs before its first call (the table in ops/needs.py), with every
    missing piece reported at once."""
    settings, problems = needs.check(
        command, stack, runtime.environ, runtime.root, entra_provided=runtime.credential is not None
    )
    if problems or settings is None:
        raise CannotRunError(problems)
    try:
        endpoints = endpoints_from_env(runtime.environ)
        credential = (
            runtime.credential if runtime.credential is not None else entra_credential(endpoints, runtime.environ)
        )
        token = cloudflare_token(runtime.environ, needs.COMMANDS[command].cloudflare_permission)
    except CredentialsError as error:
        raise CannotRunError(error.problems) from None
    return Prerequisites(settings, endpoints, credential, token)


def report_unexpected(command: str, stack: str, error: Exception, runtime: Runtime, err: TextIO) -> None:
    """One readable line, never a traceback; the error's text is left out because it could quote
    a response. With ENTRA_CF_DEBUG set, the error is raised again for whoever debugs."""
    if runtime.environ.get(DEBUG_VARIABLE):
        raise error
    err.write(
        f"{stack}: {command} stopped on an unexpected {type(error).__name__}; this is a bug. "
        f"Run it again with {DEBUG_VARIABLE}=1 to see where.\n"
    )
