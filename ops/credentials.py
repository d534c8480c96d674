"""Credentials and endpoints for the ops commands, read from the environment.

Entra: signs in the way the azuread provider does, from the same `ARM_*` variables, so CI's OIDC
federation, a service principal's secret or certificate, a managed identity, or a laptop's Azure
CLI sign-in all work without extra setup. azure-identity's own `EnvironmentCredential` reads
`AZURE_*` instead, which is why the chain is built here.

Cloudflare: `CLOUDFLARE_API_TOKEN`.

Endpoints follow `ARM_ENVIRONMENT` (public, usgovernment, china) like the provider; the
`ENTRA_CF_*_URL` variables override a base URL (for a proxy). Token scopes always name the real
Graph resource of the cloud, whatever the proxy. `ENTRA_CF_CA_BUNDLE` is the one trust setting
for both HTTP stacks: httpx gets it as `verify=`, azure-identity as `connection_verify=`.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import ssl
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ops.redaction import Secret, scrub

if TYPE_CHECKING:
    import httpx

GRAPH_URL_ENV: Final = "ENTRA_CF_GRAPH_URL"
LOGIN_URL_ENV: Final = "ENTRA_CF_LOGIN_URL"
CLOUDFLARE_API_URL_ENV: Final = "ENTRA_CF_CLOUDFLARE_API_URL"
CLOUDFLARE_TOKEN_ENV: Final = "CLOUDFLARE_API_TOKEN"
# The one variable that makes every ops command trust a corporate (TLS-inspecting) CA, for httpx
# and azure-identity alike (Endpoints).
CA_BUNDLE_ENV: Final = "ENTRA_CF_CA_BUNDLE"

CLOUDFLARE_API_URL: Final = "https://api.cloudflare.com/client/v4"
GRAPH_API_VERSION: Final = "v1.0"
# Audience of a GitHub Actions OIDC token that Entra federated credentials accept.
GITHUB_OIDC_AUDIENCE: Final = "api://AzureADTokenExchange"

_TRUE = {"1", "true", "yes"}
# What ARM_CLIENT_CERTIFICATE_PATH must name, in the problems about it.
_CERTIFICATE_EXPECTED: Final = "the service principal's certificate with its private key (PEM or PKCS #12)"
# Microsoft's installation guide, named when the Azure CLI sign-in is the fallback and az is missing.
AZURE_CLI_INSTALL_URL: Final = "https://learn.microsoft.com/cli/azure/install-azure-cli"
AZURE_CLI_TIMEOUT_SECONDS: Final = 30

# azure-identity logs each failed sign-in with the service's unscrubbed text, which Python would
# print on stderr; the commands report the failure themselves, scrubbed (ops.sign_in.sign_in).
_AZURE_IDENTITY_LOG = logging.getLogger("azure.identity")
_AZURE_IDENTITY_LOG.addHandler(logging.NullHandler())
_AZURE_IDENTITY_LOG.propagate = False


@dataclass(frozen=True)
class Cloud:
    name: str
    login_host: str
    graph_host: str


# Source: Microsoft Graph docs, "National cloud deployments" (login and Graph host of each cloud);
# the names are the values of ARM_ENVIRONMENT that the azuread provider takes.
CLOUDS: Final[dict[str, Cloud]] = {
    "public": Cloud("public", "login.microsoftonline.com", "graph.microsoft.com"),
    "usgovernment": Cloud("usgovernment", "login.microsoftonline.us", "graph.microsoft.us"),
    "china": Cloud("china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),
}


class CredentialsError(Exception):
    """Something needed to sign in is missing or refused; each item says what and how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Endpoints:
    cloud: Cloud
    graph_url: str  # base for Graph calls, with the version: https://graph.microsoft.com/v1.0
    login_url: str  # base of the token endpoint: https://login.microsoftonline.com
    cloudflare_url: str
    # Set by ENTRA_CF_LOGIN_URL: MSAL's instance discovery knows only Microsoft's hosts and refuses
    # any other (AADSTS50049), so the MSAL-based credentials skip it for an overridden login URL.
    login_url_overridden: bool = False
    ca_bundle: str | None = None  # ENTRA_CF_CA_BUNDLE: a PEM file that replaces the default trust store

    def tls_verify(self) -> ssl.SSLContext:
        """httpx's `verify=`: the CA bundle when one is set, else httpx's default trust store."""
        return _trust(self.ca_bundle)

    def http_client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        """The HTTP client of every Graph, Entra and Cloudflare call (the commands' and the attribute
        mappings provider's), trusting what `tls_verify` trusts; `transport` is for tests."""
        # httpx and the REST client module are imported here, where a command starts calling: the
        # checks behind every make command (ops/needs.py) read this module without an HTTP stack.
        import httpx

        from ops.clients import DEFAULT_TIMEOUT

        return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, transport=transport, verify=self.tls_verify())

    def trust_options(self) -> dict[str, Any]:
        """azure-identity's keyword for the CA bundle (azure-core's `connection_verify`)."""
        return {"connection_verify": self.ca_bundle} if self.ca_bundle else {}

    def msal_options(self) -> dict[str, Any]:
        """The keywords of azure-identity's MSAL-based credentials (secret, certificate): trust, and
        no instance discovery for an overridden login URL."""
        return self.trust_options() | ({"disable_instance_discovery": True} if self.login_url_overridden else {})

    @property
    def graph_scope(self) -> str:
        """The `.default` scope of the cloud's Graph resource (never a proxy's host)."""
        return f"https://{self.cloud.graph_host}/.default"


@functools.cache
def _trust(ca_bundle: str | None) -> ssl.SSLContext:
    """One SSL context per trust setting and process, shared by every client: loading a trust store
    takes about 20 ms, which each new httpx client would otherwise spend again. httpx's own default
    (certifi, or SSL_CERT_FILE / SSL_CERT_DIR) when no CA bundle is set."""
    import httpx

    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else httpx.create_ssl_context()


def _env(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name) or "").strip()


def endpoints_from_env(environ: Mapping[str, str] = os.environ) -> Endpoints:
    name = _env(environ, "ARM_ENVIRONMENT").lower() or "public"
    cloud = CLOUDS.get(name)
    if cloud is None:
        raise CredentialsError([f"ARM_ENVIRONMENT={name!r} is not one of {', '.join(CLOUDS)}"])
    ca_bundle = _env(environ, CA_BUNDLE_ENV) or None
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise CredentialsError(
            [f"{CA_BUNDLE_ENV}={ca_bundle!r} is not a file: expected the path of a PEM file of trusted CA certificates"]
        )
    return Endpoints(
        cloud=cloud,
        graph_url=(_env(environ, GRAPH_URL_ENV) or f"https://{cloud.graph_host}/{GRAPH_API_VERSION}").rstrip("/"),
        login_url=(_env(environ, LOGIN_URL_ENV) or f"https://{cloud.login_host}").rstrip("/"),
        cloudflare_url=(_env(environ, CLOUDFLARE_API_URL_ENV) or CLOUDFLARE_API_URL).rstrip("/"),
        login_url_overridden=bool(_env(environ, LOGIN_URL_ENV)),
        ca_bundle=ca_bundle,
    )


def cloudflare_token(environ: Mapping[str, str], permission: str) -> Secret:
    """The Cloudflare API token; missing, the problem names `permission`, what the command needs."""
    token = _env(environ, CLOUDFLARE_TOKEN_ENV)
    if not token:
        raise CredentialsError([f"{CLOUDFLARE_TOKEN_ENV}: a Cloudflare API token with {permission}"])
    return Secret(token)


def github_oidc_assertion(
    request_url: str, request_token: Secret, verify: ssl.SSLContext | bool = True
) -> Callable[[], str]:
    """A callable fetching a fresh GitHub Actions OIDC token (they live minutes) for each sign-in."""

    def fetch() -> str:
        import httpx

        response = httpx.get(
            request_url,
            params={"audience": GITHUB_OIDC_AUDIENCE},
            headers={"Authorization": f"Bearer {request_token.reveal()}"},
            timeout=30,
            verify=verify,
        )
        if response.status_code != 200:
            raise CredentialsError([f"GitHub's OIDC token endpoint answered {response.status_code}"])
        return str(response.json()["value"])

    return fetch


def _file_assertion(path: str) -> Callable[[], str]:
    return lambda: Path(path).read_text().strip()


class SignIn(Enum):
    """How the commands sign in to Entra, chosen from the ARM_* variables as the azuread provider
    chooses (entra_sign_in); entra_credential builds the matching azure-identity credential."""

    MANAGED_IDENTITY = "managed identity (ARM_USE_MSI)"
    OIDC_TOKEN = "OIDC token (ARM_OIDC_TOKEN)"
    OIDC_TOKEN_FILE = "OIDC token file (ARM_USE_OIDC, ARM_OIDC_TOKEN_FILE_PATH)"
    OIDC_REQUEST = "GitHub Actions OIDC token (ARM_USE_OIDC, ARM_OIDC_REQUEST_URL)"
    CLIENT_SECRET = "client secret (ARM_CLIENT_SECRET)"
    CLIENT_CERTIFICATE = "client certificate (ARM_CLIENT_CERTIFICATE_PATH)"
    AZURE_CLI = "Azure CLI sign-in"


def _oidc_request(environ: Mapping[str, str]) -> tuple[str, str]:
    """The URL and bearer token of GitHub's OIDC token endpoint, ARM_* first, as the provider reads them."""
    return (
        _env(environ, "ARM_OIDC_REQUEST_URL") or _env(environ, "ACTIONS_ID_TOKEN_REQUEST_URL"),
        _env(environ, "ARM_OIDC_REQUEST_TOKEN") or _env(environ, "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    )


def entra_sign_in(environ: Mapping[str, str] = os.environ) -> SignIn:
    """The way to sign in that the ARM_* variables choose, without building anything (the checks
    of ops/needs.py run on this alone, before azure-identity is even imported).

    Raises CredentialsError when a service principal is named without a way to prove it, or when
    nothing is set and the Azure CLI is not installed.
    """
    client_id = _env(environ, "ARM_CLIENT_ID")
    tenant_id = _env(environ, "ARM_TENANT_ID")
    if _env(environ, "ARM_USE_MSI").lower() in _TRUE:
        # The azuread provider's managed identity guide: "the tenant ID must also be specified".
        if not tenant_id:
            raise CredentialsError(["ARM_TENANT_ID: the tenant of the managed identity (ARM_USE_MSI)"])
        return SignIn.MANAGED_IDENTITY
    if client_id:
        if not tenant_id:
            raise CredentialsError(["ARM_TENANT_ID: the tenant of the service principal named by ARM_CLIENT_ID"])
        use_oidc = _env(environ, "ARM_USE_OIDC").lower() in _TRUE
        if _env(environ, "ARM_OIDC_TOKEN"):
            return SignIn.OIDC_TOKEN
        if use_oidc and _env(environ, "ARM_OIDC_TOKEN_FILE_PATH"):
            return SignIn.OIDC_TOKEN_FILE
        if use_oidc and all(_oidc_request(environ)):
            return SignIn.OIDC_REQUEST
        if use_oidc:
            raise CredentialsError(
                [
                    "ARM_USE_OIDC is set but no OIDC token is available: in GitHub Actions give the job "
                    "`permissions: id-token: write`; elsewhere set ARM_OIDC_TOKEN or ARM_OIDC_TOKEN_FILE_PATH"
                ]
            )
        if _env(environ, "ARM_CLIENT_SECRET"):
            return SignIn.CLIENT_SECRET
        certificate = _env(environ, "ARM_CLIENT_CERTIFICATE_PATH")
        if certificate:
            if not Path(certificate).is_file():
                raise CredentialsError(
                    [f"ARM_CLIENT_CERTIFICATE_PATH={certificate!r} is not a file: expected {_CERTIFICATE_EXPECTED}"]
                )
            return SignIn.CLIENT_CERTIFICATE
        raise CredentialsError(
            [
                "Entra credentials for ARM_CLIENT_ID: set ARM_USE_OIDC=true (CI), ARM_CLIENT_CERTIFICATE_PATH "
                "or ARM_CLIENT_SECRET, with ARM_TENANT_ID"
            ]
        )
    if shutil.which("az", path=environ.get("PATH")) is None:
        raise CredentialsError(
            [
                "Entra credentials: neither ARM_* variables nor the Azure CLI: set ARM_CLIENT_ID and ARM_TENANT_ID "
                "with ARM_USE_OIDC, ARM_CLIENT_SECRET or ARM_CLIENT_CERTIFICATE_PATH, or ARM_USE_MSI=true and "
                f"ARM_TENANT_ID on an Azure machine; or install the Azure CLI ({AZURE_CLI_INSTALL_URL}) and run "
                "'az login --allow-no-subscriptions' (docs/verify.md, Environment variables)"
            ]
        )
    return SignIn.AZURE_CLI


def entra_credential(endpoints: Endpoints, environ: Mapping[str, str] = os.environ) -> Any:
    """An azure-identity sync credential for the way entra_sign_in chooses (it raises what that raises)."""
    sign_in = entra_sign_in(environ)
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    client_id = _env(environ, "ARM_CLIENT_ID")
    tenant_id = _env(environ, "ARM_TENANT_ID")
    authority = endpoints.login_url
    trust = endpoints.trust_options()
    match sign_in:
        case SignIn.MANAGED_IDENTITY:
            return ManagedIdentityCredential(client_id=client_id or None, **trust)
        case SignIn.OIDC_TOKEN:
            token = Secret(_env(environ, "ARM_OIDC_TOKEN"))
            return ClientAssertionCredential(tenant_id, client_id, token.reveal, authority=authority, **trust)
        case SignIn.OIDC_TOKEN_FILE:
            assertion = _file_assertion(_env(environ, "ARM_OIDC_TOKEN_FILE_PATH"))
            return ClientAssertionCredential(tenant_id, client_id, assertion, authority=authority, **trust)
        case SignIn.OIDC_REQUEST:
            request_url, request_token = _oidc_request(environ)
            assertion = github_oidc_assertion(request_url, Secret(request_token), endpoints.tls_verify())
            return ClientAssertionCredential(tenant_id, client_id, assertion, authority=authority, **trust)
        case SignIn.CLIENT_SECRET:
            secret = _env(environ, "ARM_CLIENT_SECRET")
            return ClientSecretCredential(tenant_id, client_id, secret, authority=authority, **endpoints.msal_options())
        case SignIn.CLIENT_CERTIFICATE:
            certificate = _env(environ, "ARM_CLIENT_CERTIFICATE_PATH")
            password = environ.get("ARM_CLIENT_CERTIFICATE_PASSWORD") or None
            try:
                return CertificateCredential(
                    tenant_id,
                    client_id,
                    certificate,
                    password=password,
                    authority=authority,
                    **endpoints.msal_options(),
                )
            except ValueError as error:
                # azure-identity reads the file here; its message names no secret, and is scrubbed of
                # the password all the same.
                raise CredentialsError(
                    [
                        f"ARM_CLIENT_CERTIFICATE_PATH={certificate!r}: {scrub(str(error), [password or ''])}: expected "
                        f"{_CERTIFICATE_EXPECTED}, and ARM_CLIENT_CERTIFICATE_PASSWORD when the file is encrypted"
                    ]
                ) from None
        case SignIn.AZURE_CLI:
            return AzureCliCredential(tenant_id=tenant_id)


def signs_in_with_azure_cli(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether entra_sign_in falls back to the Azure CLI's sign-in (no service principal, no MSI)."""
    return not _env(environ, "ARM_CLIENT_ID") and _env(environ, "ARM_USE_MSI").lower() not in _TRUE


def azure_cli_sign_in_problems(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Empty when the installed Azure CLI has a signed-in account; its absence is entra_sign_in's
    to report. Asked before anything slow starts: `pulumi up` would otherwise fail minutes later."""
    az = shutil.which("az", path=environ.get("PATH"))
    if az is None:
        return []
    try:
        signed_in = (
            subprocess.run(
                [az, "account", "show", "--only-show-errors"],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                env=dict(environ),
                timeout=AZURE_CLI_TIMEOUT_SECONDS,
                check=False,
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        signed_in = False
    if signed_in:
        return []
    return [
        "Entra credentials: the Azure CLI is not signed in: run 'az login --allow-no-subscriptions' as a Cloud "
        "Application Administrator, or set ARM_CLIENT_ID and ARM_TENANT_ID for a service principal "
        "(README.md, Prerequisites)"
    ]
