"""A local HTTPS server that answers as Entra's login endpoint does, for tests that need real TLS.

respx replaces httpx's transport, so it cannot show a certificate failure, and azure-identity talks
through `requests`, which respx does not see. This server is real: Python's http.server behind
TLS on 127.0.0.1, with a certificate from a CA made at test time (never trusted by the system).

It answers what MSAL and the token check ask, and refuses what Entra refuses:
- instance discovery (`/common/discovery/instance`) for an authority Microsoft does not know:
  400 `invalid_instance` with AADSTS50049, as login.microsoftonline.com answers;
- OpenID configuration (`/<tenant>/v2.0/.well-known/openid-configuration`) naming its own token
  endpoint;
- the token endpoint: a client-credentials token for a known client ID and secret, else 401
  `invalid_client` (AADSTS7000215).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Hosts whose instance discovery Entra answers: its own (msal's WELL_KNOWN_AUTHORITY_HOSTS has more).
KNOWN_AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"})
# The names the certificate is valid for: the loopback address and Entra's real login host, which
# tests route to this server so MSAL's discovery call (always sent to the real host) lands here.
CERTIFICATE_HOSTS = ("localhost", "login.microsoftonline.com")
ISSUED_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJmYWtlIjoidG9rZW4ifQ.c2lnbmF0dXJl"


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # what a client must trust
    chain_file: Path  # the server's certificate
    key_file: Path


def make_certificates(directory: Path) -> Certificates:
    """A throwaway CA and a server certificate it signed, for 127.0.0.1 and CERTIFICATE_HOSTS."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-cloudflare test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in CERTIFICATE_HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certificates = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    certificates.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certificates.chain_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    certificates.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificates


@dataclass
class FakeEntraLogin:
    """What the server knows: which client IDs have which secret; what it was asked."""

    clients: dict[str, str] = field(default_factory=dict)
    # Quote the refused request's form in the error, as a careless proxy in front of Entra might.
    echo_form: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path with query)
    port: int = 0

    def count(self, path_part: str) -> int:
        return sum(1 for _method, path in self.requests if path_part in path)

    def answer(self, method: str, target: str, host: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, target))
        url = urlsplit(target)
        parts = [part for part in url.path.split("/") if part]
        if method == "GET" and url.path == "/common/discovery/instance":
            endpoint = parse_qs(url.query).get("authorization_endpoint", [""])[0]
            authority_host = urlsplit(endpoint).hostname or ""
            if authority_host not in KNOWN_AUTHORITY_HOSTS:
                return 400, {
                    "error": "invalid_instance",
                    "error_description": "AADSTS50049: Unknown or invalid instance.\r\nTrace ID: 0000",
                    "error_codes": [50049],
                }
            tenant = urlsplit(endpoint).path.split("/")[1]
            return 200, {
                "tenant_discovery_endpoint": f"https://{authority_host}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [],
            }
        if method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            return 200, {
                "token_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/authorize",
                "issuer": f"https://{host}/{tenant}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            }
        if method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
            if form.get("grant_type") != "client_credentials":
                return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: unsupported"}
            if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
                echoed = f" Request: {body.decode()}" if self.echo_form else ""
                return 401, {
                    "error": "invalid_client",
                    "error_description": f"AADSTS7000215: Invalid client secret provided.{echoed}",
                    "error_codes": [7000215],
                }
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": ISSUED_TOKEN}
        return 404, {"error": "not_found", "error_description": f"no such endpoint: {url.path}"}


def _handler(fake: FakeEntraLogin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = fake.answer(self.command, self.path, self.headers.get("Host", ""), body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        # http.server dispatches on these names.
        def do_GET(self) -> None:
            self._respond()

        def do_POST(self) -> None:
            self._respond()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reads `fake.requests`, not stderr

    return Handler


class _TLSServer(ThreadingHTTPServer):
    """TLS per accepted connection; a handshake the client refuses closes that connection at once
    (a wrapped listening socket would leave it to the garbage collector)."""

    context: ssl.SSLContext

    def get_request(self) -> tuple[Any, Any]:
        plain, address = self.socket.accept()
        try:
            return self.context.wrap_socket(plain, server_side=True), address
        except OSError:
            plain.close()
            raise


@contextmanager
def serve(certificates: Certificates, fake: FakeEntraLogin) -> Iterator[FakeEntraLogin]:
    """Serve `fake` over HTTPS on 127.0.0.1 (a free port, in `fake.port`) until the block ends."""
    server = _TLSServer(("127.0.0.1", 0), _handler(fake))
    server.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.context.load_cert_chain(certificates.chain_file, certificates.key_file)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def route_to_loopback(port: int, hosts: frozenset[str]) -> Any:
    """A getaddrinfo that resolves `hosts` to 127.0.0.1:`port` (any port asked for), as a hosts
    file plus a port forward would: the real host names reach this server."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, asked_port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in hosts:
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, asked_port, *args, **kwargs)

    return getaddrinfo


def free_port() -> int:
    """A port nothing listens on (bound, then closed): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
