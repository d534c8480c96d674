"""A deployed stack's outputs and its client secret, read through the Pulumi CLI on PATH.

Same backend rule as `make up` (scripts/stack.sh): without PULUMI_BACKEND_URL, the local state
folder `.pulumi-state` in the checkout. The client secret is read from
`pulumi stack export --show-secrets` into memory only, as a `Secret`; nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ops.redaction import Secret, quoted

ROOT: Final = Path(__file__).resolve().parent.parent
CLIENT_SECRET_TYPE: Final = "azuread:index/applicationPassword:ApplicationPassword"
# The login app's ApplicationPassword: component "login", child "<name>-client-secret".
CLIENT_SECRET_URN_SUFFIX: Final = "::login-client-secret"
# How `pulumi stack export --show-secrets` marks a secret value (Pulumi's resource format).
PULUMI_SECRET_SIGNATURE: Final = "4dabf18193072939515e22adb298388d"


# Outputs every deployed stack has; the SCIM and Access group ones depend on its config.
REQUIRED_OUTPUTS: Final = (
    "tenantId",
    "loginAppClientId",
    "loginAppObjectId",
    "identityProviderId",
    "teamDomain",
    "redirectUri",
    "clientSecretExpiresAt",
    "clientSecretRotatesFrom",
)


class StackError(Exception):
    """The stack could not be read; the message names what is missing and how to get it."""


def backend_env(environ: Mapping[str, str], root: Path = ROOT) -> dict[str, str]:
    env = dict(environ)
    env.setdefault("PULUMI_BACKEND_URL", f"file://{root}/.pulumi-state")
    if not env["PULUMI_BACKEND_URL"]:
        env["PULUMI_BACKEND_URL"] = f"file://{root}/.pulumi-state"
    # Never block on a prompt or an update check: this runs in CI and from make.
    env.setdefault("PULUMI_SKIP_UPDATE_CHECKS", "true")
    return env


def parse_time(value: str) -> datetime:
    """An RFC 3339 time as Graph and the stack write it (Z suffix, optional fraction)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class StackOutputs:
    tenant_id: str
    login_app_client_id: str
    login_app_object_id: str
    identity_provider_id: str
    team_domain: str
    redirect_uri: str
    client_secret_expires_at: datetime
    client_secret_rotates_from: datetime
    client_secret_key_id: str | None
    group_object_ids: Mapping[str, str]
    access_group_ids: Mapping[str, str]
    scim_endpoint: str | None
    scim_service_principal_object_id: str | None
    # Full path: /servicePrincipals/<sp>/synchronization/jobs/<jobId> (the provider's job ID).
    scim_job_path: str | None

    @classmethod
    def from_json(cls, stack: str, outputs: Mapping[str, Any]) -> StackOutputs:
        missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
        if missing:
            raise StackError(
                f"stack {stack} has no output {', '.join(missing)}: deploy it first with 'make up STACK={stack}'"
            )
        job = outputs.get("scimProvisioningJobId")
        return cls(
            tenant_id=outputs["tenantId"],
            login_app_client_id=outputs["loginAppClientId"],
            login_app_object_id=outputs["loginAppObjectId"],
            identity_provider_id=outputs["identityProviderId"],
            team_domain=outputs["teamDomain"],
            redirect_uri=outputs["redirectUri"],
            client_secret_expires_at=parse_time(outputs["clientSecretExpiresAt"]),
            client_secret_rotates_from=parse_time(outputs["clientSecretRotatesFrom"]),
            client_secret_key_id=outputs.get("clientSecretKeyId") or None,
            group_object_ids=dict(outputs.get("azureGroupObjectIds") or {}),
            access_group_ids=dict(outputs.get("accessGroupIds") or {}),
            scim_endpoint=outputs.get("scimEndpoint") or None,
            scim_service_principal_object_id=outputs.get("scimServicePrincipalObjectId") or None,
            scim_job_path=("/" + job.lstrip("/")) if job else None,
        )


def client_secret_resource(export: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The login app's client secret in a `stack export` document (verify reads its value,
    `make rotate-now` replaces it by its URN); None before the first deployment."""
    resources = (export.get("deployment") or {}).get("resources") or []
    return next(
        (
            resource
            for resource in resources
            if resource.get("type") == CLIENT_SECRET_TYPE
            and str(resource.get("urn", "")).endswith(CLIENT_SECRET_URN_SUFFIX)
        ),
        None,
    )


def client_secret_from_export(stack: str, export: Mapping[str, Any]) -> Secret:
    """The login app's client secret from a `stack export --show-secrets` document."""
    value = ((client_secret_resource(export) or {}).get("outputs") or {}).get("value")
    if isinstance(value, dict) and PULUMI_SECRET_SIGNATURE in value:
        # Without plaintext it is still encrypted: the export was not run with --show-secrets.
        value = json.loads(value["plaintext"]) if "plaintext" in value else None
    if isinstance(value, str) and value:
        return Secret(value)
    raise StackError(
        f"stack {stack} holds no readable client secret for the login app: deploy it with 'make up STACK={stack}'"
    )


def secret_values_from_export(export: Mapping[str, Any]) -> list[str]:
    """Every value the export marks secret (the client secret, the SCIM secret, the provisioning
    credentials): what no message may quote, whichever service echoes it."""
    found: list[str] = []

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, dict):
            if not secret and PULUMI_SECRET_SIGNATURE in value and isinstance(value.get("plaintext"), str):
                walk(json.loads(value["plaintext"]), True)
                return
            for item in value.values():
                walk(item, secret)
        elif isinstance(value, list):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, str) and value:
            found.append(value)

    walk((export.get("deployment") or {}).get("resources") or [], False)
    return found


async def _pulumi(args: list[str], env: Mapping[str, str], stack: str) -> Any:
    executable = shutil.which("pulumi", path=env.get("PATH"))
    if executable is None:
        raise StackError(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) "
            "or run through 'make verify', which uses the pinned CLI"
        )
    process = await asyncio.create_subprocess_exec(
        executable,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise StackError(_explain_failure(stack, " ".join(args[:2]), stderr.decode(errors="replace"), env))
    try:
        return json.loads(stdout or b"null")
    except ValueError:
        # Never echo the output: an export with --show-secrets holds every secret of the stack.
        raise StackError(f"'pulumi {' '.join(args[:2])}' printed something that is not JSON") from None


# The state backend's and secrets provider's credentials a Pulumi CLI error could quote.
BACKEND_SECRET_VARIABLES: Final = (
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_ACCESS_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "ARM_CLIENT_SECRET",
)


def _explain_failure(stack: str, command: str, stderr: str, env: Mapping[str, str]) -> str:
    text = stderr.strip()
    lowered = text.lower()
    backend = env.get("PULUMI_BACKEND_URL", "")
    if "no stack named" in lowered or "not found" in lowered:
        return (
            f"stack {stack} does not exist on the backend {backend}: deploy it with 'make up STACK={stack}' "
            "(or set PULUMI_BACKEND_URL to the backend it lives on)"
        )
    if "passphrase" in lowered:
        return (
            f"'pulumi {command}' needs the passphrase of stack {stack}: set PULUMI_CONFIG_PASSPHRASE "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE)"
        )
    # The CLI's error can quote the backend's answer (a storage URL with its SAS token, say).
    first = quoted(text, [env.get(name, "") for name in BACKEND_SECRET_VARIABLES]) or "no message"
    return f"'pulumi {command} --stack {stack}' failed on the backend {backend}: {first}"


async def read_stack(
    stack: str, environ: Mapping[str, str] = os.environ, root: Path = ROOT
) -> tuple[StackOutputs, Secret, list[str]]:
    """Outputs, client secret and every secret value of a deployed stack; both CLI calls run
    concurrently."""
    env = backend_env(environ, root)
    outputs, export = await asyncio.gather(
        _pulumi(["stack", "output", "--json", "--stack", stack], env, stack),
        _pulumi(["stack", "export", "--show-secrets", "--stack", stack], env, stack),
    )
    if not isinstance(outputs, dict) or not outputs:
        raise StackError(f"stack {stack} has no outputs: deploy it first with 'make up STACK={stack}'")
    parsed = StackOutputs.from_json(stack, outputs)
    document = export if isinstance(export, dict) else {}
    return parsed, client_secret_from_export(stack, document), secret_values_from_export(document)
