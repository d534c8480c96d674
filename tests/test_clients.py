"""ops/clients.py and ops/credentials.py against respx fakes: retries, paging, errors, no leaked secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from azure.identity import (
    AzureCliCredential,
    ClientAssertionCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
)
from entra_https_fake import Certificates, FakeEntraLogin, free_port, serve

from ops import permissions
from ops.clients import (
    ApiError,
    CloudflareClient,
    CredentialToken,
    EntraLoginClient,
    GraphClient,
    NetworkCause,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    StaticToken,
    network_cause,
    retry_after_seconds,
)
from ops.credentials import CredentialsError, SignIn, endpoints_from_env, entra_credential, entra_sign_in
from ops.redaction import Secret, quoted, scrub, shorten

GRAPH = "https://graph.microsoft.com/v1.0"
CLOUDFLARE = "https://api.cloudflare.com/client/v4"
TOKEN = "fake-bearer-token-abcdef"
SECRET = "FAKE~secret-never-shown-42"


class Sleeps:
    """An injected sleep that records and returns at once, so retries cost no time."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run(client_call: Callable[[httpx.AsyncClient, Sleeps], Awaitable[Any]]) -> tuple[Any, Sleeps]:
    sleeps = Sleeps()

    async def main() -> Any:
        async with endpoints_from_env({}).http_client() as http:
            return await client_call(http, sleeps)

    return asyncio.run(main()), sleeps


def graph(http: httpx.AsyncClient, sleeps: Sleeps, base: str = GRAPH) -> GraphClient:
    return GraphClient(http, base, StaticToken(Secret(TOKEN)), RetryPolicy(sleep=sleeps))


def cloudflare(http: httpx.AsyncClient, sleeps: Sleeps) -> CloudflareClient:
    return CloudflareClient(http, CLOUDFLARE, StaticToken(Secret(TOKEN)), RetryPolicy(sleep=sleeps))


@respx.mock
def test_graph_list_follows_next_link_and_sends_the_bearer_token() -> None:
    # The more specific route first: respx uses the first route that matches.
    respx.get(f"{GRAPH}/groups", params={"$skiptoken": "X"}).mock(
        return_value=httpx.Response(200, json={"value": [{"id": "2"}]})
    )
    first = respx.get(f"{GRAPH}/groups").mock(
        return_value=httpx.Response(
            200, json={"value": [{"id": "1"}], "@odata.nextLink": f"{GRAPH}/groups?$skiptoken=X"}
        )
    )
    items, _ = run(lambda http, s: graph(http, s).list("/groups", permission=permissions.APPLICATION_READ))
    assert [item["id"] for item in items] == ["1", "2"]
    assert first.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


@respx.mock
def test_next_link_is_rebased_onto_a_proxy_base_url() -> None:
    proxy = "https://graph-proxy.example.test/graph/v1.0"
    respx.get(f"{proxy}/groups", params={"$skiptoken": "Y"}).mock(
        return_value=httpx.Response(200, json={"value": [{"id": "b"}]})
    )
    respx.get(f"{proxy}/groups").mock(
        return_value=httpx.Response(
            200, json={"value": [{"id": "a"}], "@odata.nextLink": f"{GRAPH}/groups?$skiptoken=Y"}
        )
    )
    items, _ = run(lambda http, s: graph(http, s, proxy).list("/groups", permission="Group.Read.All"))
    assert [item["id"] for item in items] == ["a", "b"]
    assert all(call.request.url.host == "graph-proxy.example.test" for call in respx.calls)


@respx.mock
def test_429_waits_for_retry_after_then_succeeds() -> None:
    route = respx.get(f"{GRAPH}/applications/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"id": "x"})]
    )
    body, sleeps = run(lambda http, s: graph(http, s).get("/applications/x", permission="Application.Read.All"))
    assert body == {"id": "x"}
    assert sleeps.calls == [7.0]
    assert route.call_count == 2


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime

    response = httpx.Response(429, headers={"Retry-After": "Sun, 15 Mar 2026 12:00:30 GMT"})
    assert retry_after_seconds(response, now=lambda: datetime(2026, 3, 15, 12, 0, tzinfo=UTC)) == 30.0


@respx.mock
def test_transient_503_is_retried_with_bounded_backoff() -> None:
    respx.get(f"{GRAPH}/x").mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json={})])
    _, sleeps = run(lambda http, s: graph(http, s).get("/x", permission="p"))
    assert len(sleeps.calls) == 2
    assert 0.25 <= sleeps.calls[0] <= 0.5 and 0.5 <= sleeps.calls[1] <= 1.0


@respx.mock
def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    respx.get(f"{GRAPH}/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ApiError) as caught:
        run(lambda http, s: graph(http, s).get("/x", permission="p"))
    assert caught.value.status == 429
    assert "gave up after 1 attempt(s)" in str(caught.value)


@respx.mock
def test_persistent_5xx_stops_after_the_attempt_limit() -> None:
    route = respx.get(f"{GRAPH}/x").mock(return_value=httpx.Response(502))
    sleeps = Sleeps()

    async def call() -> None:
        async with endpoints_from_env({}).http_client() as http:
            await graph(http, sleeps).get("/x", permission="p")

    with pytest.raises(ApiError) as caught:
        asyncio.run(call())
    assert (caught.value.status, route.call_count, len(sleeps.calls)) == (502, 5, 4)


@respx.mock
def test_a_refused_connection_is_retried_a_bounded_number_of_times_then_named() -> None:
    route = respx.get(f"{GRAPH}/x").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(NetworkError) as caught:
        run(lambda http, s: graph(http, s).get("/x", permission="p"))
    assert caught.value.status is None
    assert (caught.value.host, caught.value.cause) == ("graph.microsoft.com", NetworkCause.CONNECT)
    assert str(caught.value) == (
        "cannot reach graph.microsoft.com: the connection failed (connection refused, 3 attempts)"
    )
    assert route.call_count == 3


@respx.mock
def test_a_timeout_is_retried_and_named() -> None:
    route = respx.get(f"{GRAPH}/x").mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(NetworkError) as caught:
        run(lambda http, s: graph(http, s).get("/x", permission="p"))
    assert caught.value.cause is NetworkCause.TIMEOUT
    assert route.call_count == 3


@respx.mock
def test_a_name_that_does_not_resolve_is_named_at_once() -> None:
    route = respx.get(f"{GRAPH}/x").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known (getaddrinfo failed)")
    )
    with pytest.raises(NetworkError) as caught:
        run(lambda http, s: graph(http, s).get("/x", permission="p"))
    assert caught.value.cause is NetworkCause.DNS
    assert str(caught.value).startswith("cannot reach graph.microsoft.com: its name does not resolve (DNS)")
    assert route.call_count == 1


def test_a_refused_connection_to_a_real_port_is_named() -> None:
    port = free_port()

    async def call(http: httpx.AsyncClient, sleeps: Sleeps) -> None:
        login = EntraLoginClient(http, f"https://127.0.0.1:{port}", RetryPolicy(sleep=sleeps))
        await login.client_credentials("t", "c", Secret(SECRET), "https://graph.microsoft.com/.default")

    with pytest.raises(NetworkError) as caught:
        run(call)
    assert (caught.value.host, caught.value.cause) == (f"127.0.0.1:{port}", NetworkCause.CONNECT)


def test_an_untrusted_certificate_is_named_once_and_never_retried(certificates: Certificates) -> None:
    fake = FakeEntraLogin(clients={"c": SECRET})
    sleeps = Sleeps()

    async def call() -> None:
        async with endpoints_from_env({}).http_client() as http:
            login = EntraLoginClient(http, f"https://127.0.0.1:{fake.port}", RetryPolicy(sleep=sleeps))
            await login.client_credentials("t", "c", Secret(SECRET), "https://graph.microsoft.com/.default")

    with serve(certificates, fake), pytest.raises(NetworkError) as caught:
        asyncio.run(call())
    assert caught.value.cause is NetworkCause.CERTIFICATE
    assert str(caught.value).startswith(f"cannot reach 127.0.0.1:{fake.port}: its TLS certificate is not trusted (")
    assert "ENTRA_CF_CA_BUNDLE" in str(caught.value)
    assert sleeps.calls == [] and fake.requests == []


def test_the_ca_bundle_variable_makes_httpx_trust_the_ca(certificates: Certificates) -> None:
    fake = FakeEntraLogin(clients={"c": SECRET})
    endpoints = endpoints_from_env({"ENTRA_CF_CA_BUNDLE": str(certificates.ca_file)})
    assert endpoints.trust_options() == {"connection_verify": str(certificates.ca_file)}

    async def call() -> None:
        async with httpx.AsyncClient(verify=endpoints.tls_verify()) as http:
            login = EntraLoginClient(http, f"https://127.0.0.1:{fake.port}", RetryPolicy(sleep=Sleeps()))
            await login.client_credentials("t", "c", Secret(SECRET), "https://graph.microsoft.com/.default")

    with serve(certificates, fake):
        asyncio.run(call())
    assert fake.count("/t/oauth2/v2.0/token") == 1


def test_only_an_overridden_login_url_turns_instance_discovery_off() -> None:
    assert endpoints_from_env({}).msal_options() == {}
    overridden = endpoints_from_env({"ENTRA_CF_LOGIN_URL": "https://login.proxy.example.test"})
    assert overridden.msal_options() == {"disable_instance_discovery": True}
    assert overridden.trust_options() == {}


# --- scrubbing: secrets first, then the cut -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"echo {SECRET}", "echo ***"),
        (f"form client_secret={SECRET.replace('~', '%7E')}&x=1", "form client_secret=***&x=1"),
        ("client_secret=unknown-value-123&scope=x", "client_secret=***&scope=x"),
        ('{"access_token": "opaque-token-value", "x": 1}', '{"access_token": "***", "x": 1}'),
        ("sent Bearer abcdefghijklmnop", "sent Bearer ***"),
        ("id eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig end", "id *** end"),
    ],
)
def test_scrub_removes_known_values_and_token_shapes(text: str, expected: str) -> None:
    assert scrub(text, [SECRET]) == expected


def test_quoted_scrubs_before_it_cuts() -> None:
    assert quoted("x" * 295 + SECRET, [SECRET]) == "x" * 295 + "***"  # cut first, "FAKE~" would remain
    assert quoted("y" * 298 + SECRET, [SECRET]) == "y" * 297 + "..."
    assert shorten("first\nsecond") == "first"


@respx.mock
def test_a_cloudflare_error_that_echoes_the_token_past_the_cut_is_scrubbed() -> None:
    message = "z" * 290 + f" token {TOKEN} was rejected"
    respx.get(f"{CLOUDFLARE}/x").mock(
        return_value=httpx.Response(400, json={"success": False, "errors": [{"code": 9106, "message": message}]})
    )
    with pytest.raises(ApiError) as caught:
        run(lambda http, s: cloudflare(http, s).get("/x", permission="p"))
    assert caught.value.message == "z" * 290 + " token ..."
    assert TOKEN[:6] not in str(caught.value)


@respx.mock
def test_403_names_the_missing_graph_permission() -> None:
    respx.get(f"{GRAPH}/servicePrincipals/s/synchronization/jobs/j").mock(
        return_value=httpx.Response(
            403, json={"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges."}}
        )
    )
    with pytest.raises(PermissionDeniedError) as caught:
        run(
            lambda http, s: graph(http, s).get(
                "/servicePrincipals/s/synchronization/jobs/j", permission=permissions.SYNCHRONIZATION_READ
            )
        )
    assert str(caught.value) == (
        "Microsoft Graph refused the call (403) for GET /v1.0/servicePrincipals/s/synchronization/jobs/j: "
        "it needs the Microsoft Graph permission Synchronization.Read.All (Insufficient privileges.)"
    )


@respx.mock
def test_401_never_repeats_the_token_even_when_the_service_echoes_it() -> None:
    respx.get(f"{GRAPH}/x").mock(
        return_value=httpx.Response(
            401, json={"error": {"code": "InvalidAuthenticationToken", "message": f"token {TOKEN} is expired"}}
        )
    )
    with pytest.raises(PermissionDeniedError) as caught:
        run(lambda http, s: graph(http, s).get("/x", permission="Application.Read.All"))
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert "refused the credentials (401)" in str(caught.value)
    assert "token *** is expired" in str(caught.value)


@respx.mock
def test_cloudflare_errors_are_parsed_and_404_is_not_found() -> None:
    respx.get(f"{CLOUDFLARE}/accounts/a/access/identity_providers/i").mock(
        return_value=httpx.Response(
            404, json={"success": False, "errors": [{"code": 12130, "message": "access.api.error.not_found"}]}
        )
    )
    with pytest.raises(NotFoundError) as caught:
        run(
            lambda http, s: cloudflare(http, s).get(
                "/accounts/a/access/identity_providers/i", permission=permissions.CLOUDFLARE_ACCESS_READ
            )
        )
    assert (caught.value.code, caught.value.message) == ("12130", "access.api.error.not_found")


@respx.mock
def test_cloudflare_403_names_the_token_permission() -> None:
    respx.get(f"{CLOUDFLARE}/x").mock(
        return_value=httpx.Response(
            403, json={"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
        )
    )
    with pytest.raises(PermissionDeniedError) as caught:
        run(lambda http, s: cloudflare(http, s).get("/x", permission=permissions.CLOUDFLARE_ACCESS_READ))
    assert "CLOUDFLARE_API_TOKEN) with 'Access: Organizations, Identity Providers, and Groups Read'" in str(
        caught.value
    )


@respx.mock
def test_cloudflare_success_false_with_200_is_an_error() -> None:
    respx.get(f"{CLOUDFLARE}/x").mock(
        return_value=httpx.Response(200, json={"success": False, "errors": [{"code": 7003, "message": "bad route"}]})
    )
    with pytest.raises(ApiError) as caught:
        run(lambda http, s: cloudflare(http, s).get("/x", permission="p"))
    assert caught.value.code == "7003"


@respx.mock
def test_cloudflare_list_follows_result_info_pages() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        info = {"page": number, "per_page": 50, "count": 1, "total_count": 2, "total_pages": 2}
        return httpx.Response(200, json={"success": True, "errors": [], "result": [{"n": number}], "result_info": info})

    route = respx.get(f"{CLOUDFLARE}/accounts/a/access/groups").mock(side_effect=page)
    items, _ = run(lambda http, s: cloudflare(http, s).list("/accounts/a/access/groups", permission="p"))
    assert items == [{"n": 1}, {"n": 2}]
    assert route.call_count == 2


@respx.mock
def test_cloudflare_list_without_total_pages_stops_on_a_short_page() -> None:
    route = respx.get(f"{CLOUDFLARE}/x").mock(
        return_value=httpx.Response(
            200, json={"success": True, "errors": [], "result": [1, 2], "result_info": {"per_page": 50}}
        )
    )
    items, _ = run(lambda http, s: cloudflare(http, s).list("/x", permission="p"))
    assert (items, route.call_count) == ([1, 2], 1)


@respx.mock
def test_cloudflare_count_reads_total_count() -> None:
    respx.get(f"{CLOUDFLARE}/x").mock(
        return_value=httpx.Response(
            200,
            json={
                "success": True,
                "errors": [],
                "result": [1],
                "result_info": {"total_count": 1234, "total_pages": 25},
            },
        )
    )
    total, _ = run(lambda http, s: cloudflare(http, s).count("/x", permission="p"))
    assert total == 1234


@respx.mock
def test_find_by_display_name_quotes_the_name_for_odata() -> None:
    route = respx.get(f"{GRAPH}/applications").mock(return_value=httpx.Response(200, json={"value": [{"id": "o"}]}))
    items, _ = run(
        lambda http, s: graph(http, s).find_by_display_name(
            "/applications", "O'Brien's app", permission="p", select="id"
        )
    )
    assert items == [{"id": "o"}]
    assert route.calls.last.request.url.params["$filter"] == "displayName eq 'O''Brien''s app'"


@respx.mock
def test_post_returns_none_for_204() -> None:
    route = respx.post(f"{GRAPH}/x/validateCredentials").mock(return_value=httpx.Response(204))
    result, _ = run(
        lambda http, s: graph(http, s).post("/x/validateCredentials", {"useSavedCredentials": True}, permission="p")
    )
    assert result is None
    assert json.loads(route.calls.last.request.content) == {"useSavedCredentials": True}


@respx.mock
def test_client_credentials_with_a_wrong_secret_names_the_aadsts_code_not_the_secret() -> None:
    respx.post("https://login.microsoftonline.com/t/oauth2/v2.0/token").mock(
        return_value=httpx.Response(
            401,
            json={
                "error": "invalid_client",
                "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}\r\nTrace ID: 1",
            },
        )
    )

    async def call(http: httpx.AsyncClient, sleeps: Sleeps) -> None:
        login = EntraLoginClient(http, "https://login.microsoftonline.com", RetryPolicy(sleep=sleeps))
        await login.client_credentials("t", "c", Secret(SECRET), "https://graph.microsoft.com/.default")

    with pytest.raises(PermissionDeniedError) as caught:
        run(call)
    assert caught.value.code == "invalid_client"
    assert caught.value.message == "AADSTS7000215: Invalid client secret provided: ***"
    assert SECRET not in str(caught.value)


def test_secret_and_clients_never_show_their_values() -> None:
    secret = Secret(SECRET)
    assert SECRET not in f"{secret} {secret!r} {StaticToken(secret)!r}"
    assert secret.reveal() == SECRET


class CountingCredential:
    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.calls += 1
        return type("AccessToken", (), {"token": TOKEN, "expires_on": 4102444800})()


def test_credential_token_signs_in_once_for_concurrent_callers() -> None:
    credential = CountingCredential()
    provider = CredentialToken(credential, "https://graph.microsoft.com/.default")

    async def many() -> list[Secret]:
        return list(await asyncio.gather(*(provider() for _ in range(5))))

    tokens = asyncio.run(many())
    assert credential.calls == 1
    assert {token.reveal() for token in tokens} == {TOKEN}


# --- credentials and endpoints -------------------------------------------------------------------


def test_public_cloud_is_the_default() -> None:
    endpoints = endpoints_from_env({})
    assert (endpoints.graph_url, endpoints.login_url, endpoints.cloudflare_url) == (
        "https://graph.microsoft.com/v1.0",
        "https://login.microsoftonline.com",
        "https://api.cloudflare.com/client/v4",
    )


@pytest.mark.parametrize(
    ("environment", "graph_url", "login_url"),
    [
        ("usgovernment", "https://graph.microsoft.us/v1.0", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://login.chinacloudapi.cn"),
    ],
)
def test_arm_environment_selects_the_cloud(environment: str, graph_url: str, login_url: str) -> None:
    endpoints = endpoints_from_env({"ARM_ENVIRONMENT": environment})
    assert (endpoints.graph_url, endpoints.login_url) == (graph_url, login_url)


def test_base_url_overrides_keep_the_real_graph_scope() -> None:
    endpoints = endpoints_from_env(
        {
            "ENTRA_CF_GRAPH_URL": "https://proxy.test/graph/v1.0/",
            "ENTRA_CF_LOGIN_URL": "https://proxy.test/login",
            "ENTRA_CF_CLOUDFLARE_API_URL": "https://proxy.test/cf",
        }
    )
    assert endpoints.graph_url == "https://proxy.test/graph/v1.0"
    assert endpoints.login_url == "https://proxy.test/login"
    assert endpoints.cloudflare_url == "https://proxy.test/cf"
    assert endpoints.graph_scope == "https://graph.microsoft.com/.default"


def test_an_unknown_arm_environment_is_refused() -> None:
    with pytest.raises(CredentialsError, match="ARM_ENVIRONMENT='german' is not one of public, usgovernment, china"):
        endpoints_from_env({"ARM_ENVIRONMENT": "german"})


SERVICE_PRINCIPAL = {
    "ARM_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
    "ARM_TENANT_ID": "t",
    "PATH": "/nonexistent",
}


@pytest.mark.parametrize(
    ("environ", "sign_in", "credential"),
    [
        ({**SERVICE_PRINCIPAL, "ARM_CLIENT_SECRET": "s"}, SignIn.CLIENT_SECRET, ClientSecretCredential),
        (
            {**SERVICE_PRINCIPAL, "ARM_USE_OIDC": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"}
            | {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
            SignIn.OIDC_REQUEST,
            ClientAssertionCredential,
        ),
        ({**SERVICE_PRINCIPAL, "ARM_OIDC_TOKEN": "jwt"}, SignIn.OIDC_TOKEN, ClientAssertionCredential),
        (
            {**SERVICE_PRINCIPAL, "ARM_OIDC_TOKEN": "jwt", "ARM_CLIENT_SECRET": "s"},
            SignIn.OIDC_TOKEN,
            ClientAssertionCredential,
        ),
        (
            {**SERVICE_PRINCIPAL, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN_FILE_PATH": "/t"},
            SignIn.OIDC_TOKEN_FILE,
            ClientAssertionCredential,
        ),
        ({**SERVICE_PRINCIPAL, "ARM_USE_MSI": "true"}, SignIn.MANAGED_IDENTITY, ManagedIdentityCredential),
        (
            {"ARM_USE_MSI": "true", "ARM_TENANT_ID": "t", "ARM_CLIENT_SECRET": "s"},
            SignIn.MANAGED_IDENTITY,
            ManagedIdentityCredential,
        ),
    ],
)
def test_the_sign_in_is_chosen_as_the_provider_chooses_it_and_built_to_match(
    environ: dict[str, str], sign_in: SignIn, credential: type
) -> None:
    assert entra_sign_in(environ) is sign_in
    assert isinstance(entra_credential(endpoints_from_env({}), environ), credential)


def test_a_certificate_path_that_names_no_file_is_refused_before_azure_identity_reads_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "sp.pem")
    with pytest.raises(CredentialsError, match=r"ARM_CLIENT_CERTIFICATE_PATH='.*sp.pem' is not a file: expected"):
        entra_sign_in({**SERVICE_PRINCIPAL, "ARM_CLIENT_CERTIFICATE_PATH": missing})
    (tmp_path / "sp.pem").write_text("a certificate")
    assert entra_sign_in({**SERVICE_PRINCIPAL, "ARM_CLIENT_CERTIFICATE_PATH": missing}) is SignIn.CLIENT_CERTIFICATE


def test_a_certificate_azure_identity_cannot_read_is_named_not_reported_as_a_bug(tmp_path: Path) -> None:
    (tmp_path / "sp.pem").write_text("not a certificate")
    environ = {**SERVICE_PRINCIPAL, "ARM_CLIENT_CERTIFICATE_PATH": str(tmp_path / "sp.pem")}
    with pytest.raises(CredentialsError) as refused:
        entra_credential(endpoints_from_env({}), environ | {"ARM_CLIENT_CERTIFICATE_PASSWORD": "pw-1234"})
    [problem] = refused.value.problems
    assert problem.startswith(f"ARM_CLIENT_CERTIFICATE_PATH={str(tmp_path / 'sp.pem')!r}: Failed to deserialize")
    assert "ARM_CLIENT_CERTIFICATE_PASSWORD when the file is encrypted" in problem and "pw-1234" not in problem


def test_a_service_principal_without_a_way_to_prove_it_is_refused() -> None:
    with pytest.raises(CredentialsError, match="set ARM_USE_OIDC=true"):
        entra_credential(endpoints_from_env({}), SERVICE_PRINCIPAL)


def test_oidc_requested_without_a_token_source_says_what_ci_needs() -> None:
    with pytest.raises(CredentialsError, match="id-token: write"):
        entra_credential(endpoints_from_env({}), {**SERVICE_PRINCIPAL, "ARM_USE_OIDC": "true"})


def test_without_arm_variables_the_azure_cli_is_used_when_installed(tmp_path: Any) -> None:
    (tmp_path / "az").write_text("#!/bin/sh\n")
    (tmp_path / "az").chmod(0o755)
    assert isinstance(entra_credential(endpoints_from_env({}), {"PATH": str(tmp_path)}), AzureCliCredential)
    with pytest.raises(CredentialsError, match="az login --allow-no-subscriptions"):
        entra_credential(endpoints_from_env({}), {"PATH": "/nonexistent"})


# What azure-identity raises (ClientAuthenticationError text, urllib3 underneath): the first three as
# observed against the local server without its CA, a closed port and a `.invalid` host; the last is
# urllib3's ReadTimeoutError text.
@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "Authentication failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            "unable to get local issuer certificate (_ssl.c:1006)",
            NetworkCause.CERTIFICATE,
        ),
        (
            "Authentication failed: HTTPSConnection(host='127.0.0.1', port=54495): Failed to establish a new "
            "connection: [Errno 111] Connection refused",
            NetworkCause.CONNECT,
        ),
        (
            "Authentication failed: HTTPSConnection(host='login.nonexistent.invalid', port=443): Failed to "
            "resolve 'login.nonexistent.invalid' ([Errno -2] Name or service not known)",
            NetworkCause.DNS,
        ),
        (
            "Authentication failed: HTTPSConnectionPool(host='login.microsoftonline.com', port=443): Read timed "
            "out. (read timeout=300)",
            NetworkCause.TIMEOUT,
        ),
    ],
)
def test_a_sign_in_error_known_only_by_its_text_gets_its_network_cause(text: str, cause: NetworkCause) -> None:
    found = network_cause(RuntimeError(text))
    assert found is not None and found[0] is cause


def test_an_error_that_is_no_network_failure_has_no_network_cause() -> None:
    assert network_cause(RuntimeError("AADSTS7000215: Invalid client secret provided.")) is None
