"""scripts/pulumi_cli.py: the pinned Pulumi CLI, from PATH or from a local fake release server."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import tarfile
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pulumi_cli.py"
VERSION = "3.272.0"
# The names a release has for the machines scripts/pulumi_cli.py supports; the fake serves one tarball for each.
TARBALLS = [
    f"pulumi-v{VERSION}-{os_name}-{arch}.tar.gz" for os_name in ("linux", "darwin") for arch in ("x64", "arm64")
]
CHECKSUMS = f"/pulumi-{VERSION}-checksums.txt"


@dataclass
class Route:
    body: bytes
    status: int = 200
    # Announce this many bytes but send `body` and hang up: a download cut short.
    announced: int | None = None


@dataclass
class FakeReleases:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def publish(self, tarball: bytes, *, checksum: str | None = None) -> None:
        digest = checksum or hashlib.sha256(tarball).hexdigest()
        self.routes[CHECKSUMS] = Route("".join(f"{digest}  {name}\n" for name in TARBALLS).encode())
        for name in TARBALLS:
            self.routes[f"/{name}"] = Route(tarball)


@pytest.fixture
def releases() -> Iterator[FakeReleases]:
    fake = FakeReleases(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append(self.path)
            route = fake.routes.get(self.path, Route(b"not found", status=404))
            self.send_response(route.status)
            self.send_header("Content-Length", str(route.announced or len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def fake_pulumi_script(version: str) -> bytes:
    return f'#!/bin/sh\nif [ "$1" = version ]; then echo v{version}; fi\n'.encode()


def tarball(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


GOOD_TARBALL = tarball(
    ("pulumi/pulumi", fake_pulumi_script(VERSION)), ("pulumi/pulumi-language-python", b"#!/bin/sh\n")
)


def on_path(tmp_path: Path, version: str | None) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if version:
        (bin_dir / "pulumi").write_bytes(fake_pulumi_script(version))
        (bin_dir / "pulumi").chmod(0o755)
    return bin_dir


def run(
    tmp_path: Path, releases: FakeReleases, *, pulumi_on_path: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        # Only the fake bin folder: a real pulumi elsewhere on this machine must not be found.
        "PATH": str(on_path(tmp_path, pulumi_on_path)),
        "PULUMI_RELEASES_URL": releases.url,
        "PULUMI_CLI_DIR": str(tmp_path / "cli"),
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environment, timeout=30, check=False
    )


def assert_nothing_installed(tmp_path: Path) -> None:
    install_root = tmp_path / "cli"
    assert not install_root.exists() or list(install_root.iterdir()) == []


def assert_clear_failure(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_pinned_cli_matches_the_sdk_pin() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pulumi=={(ROOT / '.pulumi.version').read_text().strip()}" in dependencies
    assert (ROOT / ".pulumi.version").read_text().strip() == VERSION


def test_the_install_folder_is_git_ignored() -> None:
    assert ".pulumi-cli/" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_good_release_is_installed_once_and_reused(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    first = run(tmp_path, releases)
    installed = tmp_path / "cli" / VERSION / "pulumi" / "pulumi"
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{installed}\n"
    assert f"Downloading Pulumi CLI {VERSION}" in first.stderr
    assert os.access(installed, os.X_OK)
    assert (installed.parent / "pulumi-language-python").is_file()
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == [VERSION]
    assert len(releases.requests) == 2

    second = run(tmp_path, releases)
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"{installed}\n"
    assert second.stderr == ""
    assert len(releases.requests) == 2


def test_a_matching_cli_on_path_is_used_without_a_download(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    result = run(tmp_path, releases, pulumi_on_path=VERSION)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'bin' / 'pulumi'}\n"
    assert releases.requests == []
    assert not (tmp_path / "cli").exists()


def test_a_cli_of_another_version_on_path_is_ignored(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    result = run(tmp_path, releases, pulumi_on_path="3.100.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'cli' / VERSION / 'pulumi' / 'pulumi'}\n"
    assert f"(version 3.100.0); this project pins {VERSION}" in result.stderr


def test_a_checksum_mismatch_installs_nothing(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL, checksum="0" * 64)
    result = run(tmp_path, releases)
    assert_clear_failure(result, "but the release's checksums file says " + "0" * 64)
    assert_nothing_installed(tmp_path)


def test_a_missing_release_stops_clearly(tmp_path: Path, releases: FakeReleases) -> None:
    result = run(tmp_path, releases)
    assert_clear_failure(result, f"{releases.url}{CHECKSUMS} does not exist (HTTP 404)")
    assert_nothing_installed(tmp_path)


def test_a_missing_tarball_stops_clearly(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    for name in TARBALLS:
        del releases.routes[f"/{name}"]
    result = run(tmp_path, releases)
    assert_clear_failure(result, ".tar.gz does not exist (HTTP 404)")
    assert_nothing_installed(tmp_path)


def test_a_download_cut_short_installs_nothing(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    for name in TARBALLS:
        releases.routes[f"/{name}"] = Route(GOOD_TARBALL[:100], announced=len(GOOD_TARBALL))
    result = run(tmp_path, releases)
    assert_clear_failure(result, f"was interrupted (100 of {len(GOOD_TARBALL)} bytes)")
    assert_nothing_installed(tmp_path)


@pytest.mark.parametrize("name", ["pulumi/../../escaped", "../escaped", "/tmp/escaped", "other/pulumi"])
def test_a_tarball_entry_outside_pulumi_is_refused(tmp_path: Path, releases: FakeReleases, name: str) -> None:
    releases.publish(tarball(("pulumi/pulumi", fake_pulumi_script(VERSION)), (name, b"x")))
    result = run(tmp_path, releases)
    assert_clear_failure(result, f"unexpected entry {name!r}")
    assert_nothing_installed(tmp_path)
    assert not (tmp_path / "escaped").exists()


def test_a_tarball_without_a_working_cli_installs_nothing(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(tarball(("pulumi/pulumi", fake_pulumi_script("3.1.0"))))
    result = run(tmp_path, releases)
    assert_clear_failure(result, f"holds no working pulumi {VERSION} binary")
    assert_nothing_installed(tmp_path)


def test_a_download_shows_its_progress_on_stderr(tmp_path: Path, releases: FakeReleases) -> None:
    releases.publish(GOOD_TARBALL)
    result = run(tmp_path, releases)
    assert result.returncode == 0, result.stderr
    megabytes = f"{len(GOOD_TARBALL) / 1e6:.1f}"
    # Not a terminal: one line per quarter reached (the whole small tarball arrives at once).
    assert f"  100% {megabytes} of {megabytes} MB\n" in result.stderr
    assert "\r" not in result.stderr


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("pulumi_cli", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_a_line_per_quarter_in_a_log() -> None:
    module = load_script()
    log, terminal = io.StringIO(), Terminal()
    for stream in (log, terminal):
        progress = module.Progress(4_000_000, stream)
        for received in (500_000, 1_000_000, 1_500_000, 2_500_000, 4_000_000):
            progress.show(received)
        progress.done()
    assert log.getvalue().splitlines() == [
        "  25% 1.0 of 4.0 MB",
        "  62% 2.5 of 4.0 MB",
        "  100% 4.0 of 4.0 MB",
    ]
    frames = terminal.getvalue().split("\r")[1:]
    assert len(frames) == 5
    assert frames[0] == f"  [{'#' * 4}{'.' * 26}]  12% 0.5 of 4.0 MB"
    assert frames[-1] == f"  [{'#' * 30}] 100% 4.0 of 4.0 MB\n"
