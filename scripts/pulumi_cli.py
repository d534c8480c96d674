"""Print the path of a Pulumi CLI of exactly the version pinned in `.pulumi.version`.

    venv/bin/python scripts/pulumi_cli.py

Uses the `pulumi` on PATH when it reports the pinned version. Otherwise installs that release
into `.pulumi-cli/<version>/` (git-ignored) and uses it from there: the tarball is checked
against the release's published SHA-256 before anything is unpacked, and the folder appears
with one rename, so a failed or interrupted install leaves nothing behind that a later run
would mistake for a good one. A download shows its progress on stderr (a bar on a terminal, a
line every quarter otherwise). Exits 2 with one message on stderr when it cannot.

Environment:
    PULUMI_RELEASES_URL  where releases are downloaded from (default: get.pulumi.com's)
    PULUMI_CLI_DIR       where they are installed (default: .pulumi-cli in the checkout)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

# The download's modules are imported where it starts: most runs (every `make up`, `preview`,
# `rotate-now` and `verify`) find the pinned CLI and need none of them.
if TYPE_CHECKING:
    import http.client
    import tarfile

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / ".pulumi.version"
# The release layout, as Pulumi's installer (`curl -fsSL https://get.pulumi.com | sh`, source in
# github.com/pulumi/get.pulumi.com) downloads it: <releases>/pulumi-v<version>-<os>-<arch>.tar.gz,
# the names pulumi/pulumi's .goreleaser.yml gives the release files.
DEFAULT_RELEASES_URL = "https://get.pulumi.com/releases/sdk"
CHUNK = 1 << 16
TIMEOUT_SECONDS = 60
PROGRESS_WIDTH = 30


class InstallError(Exception):
    """A reason the pinned CLI cannot be provided, worded for the user."""


def pinned_version() -> str:
    try:
        version = VERSION_FILE.read_text().strip()
    except OSError as error:
        raise InstallError(f"cannot read the pinned CLI version from {VERSION_FILE}: {error}") from None
    if not version:
        raise InstallError(f"{VERSION_FILE} is empty; it should hold the Pulumi CLI version, e.g. 3.272.0")
    return version


def reported_version(pulumi: str) -> str | None:
    """What `pulumi version` says, without the leading `v`; None when it does not run."""
    try:
        result = subprocess.run(
            [pulumi, "version"], capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip().removeprefix("v")


def release_platform() -> tuple[str, str]:
    """The (os, arch) pair in Pulumi's release file names."""
    system = platform.system()
    machine = platform.machine().lower()
    os_names = {"Linux": "linux", "Darwin": "darwin"}
    arch_names = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
    if system not in os_names:
        # Windows releases are zip files, and scripts/stack.sh needs bash anyway: use WSL there.
        raise InstallError(f"no Pulumi CLI download for {system}; install Pulumi CLI yourself or use WSL")
    if machine not in arch_names:
        raise InstallError(f"no Pulumi CLI download for {system} on {platform.machine()}; install Pulumi CLI yourself")
    return os_names[system], arch_names[machine]


def open_url(url: str) -> http.client.HTTPResponse:
    import urllib.error
    import urllib.request

    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise InstallError(f"{url} does not exist (HTTP 404): is the version in .pulumi.version right?") from None
        raise InstallError(f"downloading {url} failed: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise InstallError(f"cannot reach {url}: {reason}") from None
    return response


class Progress:
    """How much of a download has arrived, on stderr: a bar redrawn in place on a terminal, and a
    line at each quarter in a log (CI), so neither is flooded."""

    def __init__(self, total: int | None, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.on_terminal = stream.isatty()
        self.quarters_shown = 0

    def show(self, received: int) -> None:
        megabytes = f"{received / 1e6:.1f}" + (f" of {self.total / 1e6:.1f} MB" if self.total else " MB")
        if not self.total:
            if self.on_terminal:
                self.stream.write(f"\r  {megabytes}")
            return
        share = min(received / self.total, 1.0)
        if self.on_terminal:
            filled = round(share * PROGRESS_WIDTH)
            self.stream.write(f"\r  [{'#' * filled}{'.' * (PROGRESS_WIDTH - filled)}] {share:4.0%} {megabytes}")
        elif int(share * 4) > self.quarters_shown:
            self.quarters_shown = int(share * 4)
            self.stream.write(f"  {share:.0%} {megabytes}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.on_terminal:
            self.stream.write("\n")
            self.stream.flush()


def content_length(response: http.client.HTTPResponse) -> int | None:
    announced = response.headers.get("Content-Length")
    return int(announced) if announced is not None and announced.isdigit() else None


def copy_body(url: str, response: http.client.HTTPResponse, sink: IO[bytes], progress: Progress | None = None) -> str:
    """Stream the body into sink; return its SHA-256. A body shorter than announced is an error."""
    import http.client

    digest = hashlib.sha256()
    received = 0
    try:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            sink.write(chunk)
            received += len(chunk)
            if progress:
                progress.show(received)
    except (http.client.HTTPException, OSError) as error:
        raise InstallError(f"the download of {url} was interrupted ({error!r}); run this again") from None
    finally:
        response.close()
        if progress:
            progress.done()
    expected = response.headers.get("Content-Length")
    # http.client returns a short body without complaint when the connection closes early.
    if expected is not None and expected.isdigit() and received != int(expected):
        raise InstallError(f"the download of {url} was interrupted ({received} of {expected} bytes); run this again")
    return digest.hexdigest()


def published_checksum(base_url: str, version: str, tarball: str) -> str:
    import http.client

    url = f"{base_url}/pulumi-{version}-checksums.txt"
    response = open_url(url)
    try:
        text = response.read().decode("utf-8", errors="replace")
    except (http.client.HTTPException, OSError) as error:
        raise InstallError(f"the download of {url} was interrupted ({error!r}); run this again") from None
    finally:
        response.close()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1].lstrip("*") == tarball:
            return fields[0].lower()
    raise InstallError(f"{url} lists no checksum for {tarball}")


def safe_members(archive: tarfile.TarFile, destination: Path) -> list[tarfile.TarInfo]:
    """Every member, after refusing any that would land outside pulumi/ or is not a plain file or folder."""
    root = (destination / "pulumi").resolve()
    members = archive.getmembers()
    for member in members:
        target = (destination / member.name).resolve()
        if not (member.isfile() or member.isdir()) or (target != root and not target.is_relative_to(root)):
            raise InstallError(f"the Pulumi CLI tarball holds an unexpected entry {member.name!r}; not unpacking it")
    return members


def install(version: str, install_root: Path, base_url: str) -> Path:
    import tarfile
    import tempfile

    os_name, arch = release_platform()
    tarball = f"pulumi-v{version}-{os_name}-{arch}.tar.gz"
    url = f"{base_url}/{tarball}"
    final = install_root / version
    print(f"Downloading Pulumi CLI {version} from {url} into {final} ...", file=sys.stderr)
    expected = published_checksum(base_url, version, tarball)
    install_root.mkdir(parents=True, exist_ok=True)
    download = tempfile.NamedTemporaryFile(dir=install_root, prefix=f".{tarball}.", delete=False)  # noqa: SIM115
    unpacked = Path(tempfile.mkdtemp(dir=install_root, prefix=f".{version}."))
    try:
        with download:
            response = open_url(url)
            actual = copy_body(url, response, download, Progress(content_length(response), sys.stderr))
        if actual != expected:
            raise InstallError(
                f"the SHA-256 of {url} is {actual}, but the release's checksums file says {expected}; "
                "not installing it (run this again; if it persists, the download is being tampered with)"
            )
        try:
            with tarfile.open(download.name, "r:gz") as archive:
                archive.extractall(unpacked, members=safe_members(archive, unpacked), filter="data")
        except (tarfile.TarError, OSError, EOFError) as error:
            raise InstallError(f"cannot unpack {url}: {error}") from None
        binary = unpacked / "pulumi" / "pulumi"
        if reported_version(str(binary)) != version:
            raise InstallError(f"{tarball} holds no working pulumi {version} binary for this machine")
        try:
            unpacked.rename(final)
        except OSError as error:
            # Another run installed it first; its copy is as good as this one.
            if not (final / "pulumi" / "pulumi").is_file():
                raise InstallError(
                    f"cannot move the CLI into {final} ({error}); delete {final} and run again"
                ) from None
    finally:
        Path(download.name).unlink(missing_ok=True)
        shutil.rmtree(unpacked, ignore_errors=True)
    return final / "pulumi" / "pulumi"


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="scripts/pulumi_cli.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
    try:
        version = pinned_version()
        on_path = shutil.which("pulumi")
        if on_path:
            found = reported_version(on_path)
            if found == version:
                print(on_path)
                return 0
            print(f"Ignoring {on_path} (version {found or 'unknown'}); this project pins {version}.", file=sys.stderr)
        install_root = Path(os.environ.get("PULUMI_CLI_DIR") or ROOT / ".pulumi-cli")
        installed = install_root / version / "pulumi" / "pulumi"
        if not installed.is_file():
            base_url = os.environ.get("PULUMI_RELEASES_URL", DEFAULT_RELEASES_URL).rstrip("/")
            installed = install(version, install_root, base_url)
        print(installed)
        return 0
    except InstallError as error:
        print(f"Cannot provide Pulumi CLI: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Cannot provide Pulumi CLI: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Pulumi CLI install interrupted; nothing was installed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
