"""The first Entra sign-in of a command or of the attribute-mappings provider, and what its
failure means, in one scrubbed line that names the fix.

No configuration is read here (no `config/` import): `components/scim_schema.py` signs in through
this module when the engine calls its provider, and the components never reach `config/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ops.clients import CredentialToken, network_cause, unreachable_text
from ops.credentials import LOGIN_URL_ENV, Endpoints, signs_in_with_azure_cli
from ops.redaction import quoted, scrub


class CannotRunError(Exception):
    """The command cannot start or go on; each problem says what to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


# The sign-in secrets a failed sign-in's text could quote, scrubbed before it is shown.
SIGN_IN_SECRET_VARIABLES = (
    "ARM_CLIENT_SECRET",
    "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)


async def sign_in(token: CredentialToken, endpoints: Endpoints, environ: Mapping[str, str]) -> None:
    """Get the first Entra token, turning a failure into one scrubbed line that names the fix."""
    try:
        await token()
    except Exception as error:
        raise CannotRunError([sign_in_problem(error, endpoints, environ)]) from None


def sign_in_problem(error: BaseException, endpoints: Endpoints, environ: Mapping[str, str]) -> str:
    """What a failed Entra sign-in means: a host that cannot be reached, a login URL override that
    does not answer as Entra, or credentials to renew."""
    secrets = [environ.get(name, "") for name in SIGN_IN_SECRET_VARIABLES]
    network = network_cause(error)
    if network is not None:
        host = urlsplit(endpoints.login_url).netloc
        return scrub(f"Entra sign-in failed: {unreachable_text(host, *network)}", secrets)
    # azure-identity raises its own ClientAuthenticationError family; its text names the fix.
    first = quoted(str(error), secrets) or type(error).__name__
    # The Azure CLI signs in by itself, through its own login host: an overridden URL is not its fix.
    if signs_in_with_azure_cli(environ):
        hint = "run 'az login --allow-no-subscriptions' again"
    elif endpoints.login_url_overridden:
        hint = f"check that {LOGIN_URL_ENV}={endpoints.login_url} answers as Entra's login endpoint"
    else:
        hint = "check the ARM_* variables, docs/verify.md, Environment variables"
    return f"Entra sign-in failed: {first} ({hint})"
