"""Finding and running the external tools (kind, helm, docker, kubectl).

Every executable is looked up on the ``PATH`` of the environment mapping the caller passes
(first), then in an explicit path given by the user, and only then downloaded: a pinned version
whose SHA-256 is checked before the file is made executable. That order is what lets the offline
rehearsal put stand-in executables first on ``PATH`` and have the real code run them, with no
patching.

Every subprocess goes through :func:`run`: an argv list (never a shell, never a joined string),
a timeout, and an environment that is a *copy* (``os.environ`` is never mutated). A failing
command becomes :class:`CommandFailed` naming the argv, the exit status and the tail of stderr.

Pinned downloads (checked against the projects' release pages, see the README):

- kind v0.29.0:
  ``https://github.com/kubernetes-sigs/kind/releases/download/v0.29.0/kind-{os}-{arch}``
- helm v3.17.2: ``https://get.helm.sh/helm-v3.17.2-{os}-{arch}.tar.gz``
  (the binary is ``{os}-{arch}/helm`` inside)

Docker is never downloaded: without a running daemon the live suite cannot run at all.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_botkube.errors import BotkubeReproError, EnvironmentUnavailable
from pytest_botkube.live import commands
from pytest_botkube.live.download import (
    DownloadFailed,
    WrongDigest,
    download_file,
    private_sibling,
)

KIND_VERSION = "v0.29.0"
HELM_VERSION = "v3.17.2"

# sha256 of the release assets, per (os, arch). Source: the kind v0.29.0 and helm v3.17.2
# GitHub release pages (helm lists them in its release notes; kind ships *.sha256sum assets).
KIND_SHA256: dict[tuple[str, str], str] = {
    ("linux", "amd64"): "c72eda46430f065fb45c5f70e7c957cc9209402ef309294821978677c8fb3284",
    ("linux", "arm64"): "03d45095dbd9cc1689f179a3e5e5da24b77c2d1b257d7645abf1b4174bebcf2a",
    ("darwin", "amd64"): "3eb0d4de25b854f34ea8ce8a3cbe15054fc03bc962b03e96fd10664b829fb6ed",
    ("darwin", "arm64"): "314d8f1428842fd1ba2110fd0052a0f0b3ab5773ab1bdcdad1ff036e913310c9",
}
HELM_SHA256: dict[tuple[str, str], str] = {
    ("linux", "amd64"): "90c28792a1eb5fb0b50028e39ebf826531ebfcf73f599050dbd79bab2f277241",
    ("linux", "arm64"): "d78d76ec7625a94991e887ac049d93f44bd70e4876200b945f813c9e1ed1df7c",
    ("darwin", "amd64"): "3e240238c7a3a10efd37b8e16615b28e94ba5db5957247bb42009ba6d52f76e9",
    ("darwin", "arm64"): "b843cebcbebc9eccb1e43aba9cca7693d32e9f2c4a35344990e3b7b381933948",
}

HOW_TO_GET = {
    "docker": "install Docker (https://docs.docker.com/engine/install/) and start the daemon",
    "kind": (
        f"install kind {KIND_VERSION} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
        " or pass --botkube-kind PATH"
    ),
    "helm": (
        f"install Helm {HELM_VERSION} (https://helm.sh/docs/intro/install/)"
        " or pass --botkube-helm PATH"
    ),
}

DOWNLOAD_TIMEOUT = 120.0
DOCKER_CHECK_TIMEOUT = 20.0  # `docker version`: the daemon answers
VERSION_TIMEOUT = 30.0  # `kind version`, `helm version`
_STDERR_TAIL = 800


class CommandFailed(BotkubeReproError):
    """An external command exited non-zero or timed out."""

    def __init__(self, argv: Sequence[str], message: str, stdout: str = "", stderr: str = ""):
        super().__init__(message)
        self.argv = list(argv)
        self.stdout = stdout
        self.stderr = stderr


def _tail(text: str) -> str:
    """The end of a command's output on one line (a message is one line; `` | `` joins)."""
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= _STDERR_TAIL else "..." + text[-_STDERR_TAIL:]


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no shell) with a timeout and a copy of ``env``; return its output.

    ``check`` raises :class:`CommandFailed` on a non-zero exit. A timeout always raises.
    """
    args = [str(a) for a in argv]
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            input=input_text,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandFailed(
            args, f"`{' '.join(args)}` timed out after {timeout:g}s: {_tail(err)}", stderr=err
        ) from None
    except OSError as exc:
        raise CommandFailed(args, f"`{args[0]}` could not be started: {exc}") from None
    if check and done.returncode != 0:
        raise CommandFailed(
            args,
            f"`{' '.join(args)}` exited with status {done.returncode}: "
            f"{_tail(done.stderr or done.stdout)}",
            stdout=done.stdout,
            stderr=done.stderr,
        )
    return done


def run_streaming(
    argv: Sequence[str],
    *,
    timeout: float,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """:func:`run` for a long command whose progress is worth showing (``docker pull``): each
    line of its output (stdout and stderr, merged) goes to ``on_line`` as it comes. A non-zero
    exit or the timeout raises :class:`CommandFailed`; the process is killed on a timeout and
    on Ctrl-C, never left running."""
    args = [str(a) for a in argv]
    try:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(env) if env is not None else None,
        )
    except OSError as exc:
        raise CommandFailed(args, f"`{args[0]}` could not be started: {exc}") from None
    lines: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            on_line(line.rstrip())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        if proc.poll() is None:  # timed out, or Ctrl-C: never leave it running
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
    output = "".join(lines)
    if code is None:
        raise CommandFailed(
            args, f"`{' '.join(args)}` timed out after {timeout:g}s: {_tail(output)}", output
        )
    if code != 0:
        raise CommandFailed(
            args, f"`{' '.join(args)}` exited with status {code}: {_tail(output)}", output
        )
    return subprocess.CompletedProcess(args, code, stdout=output, stderr="")


def host_platform() -> tuple[str, str]:
    """(os, arch) in the release assets' spelling: ``linux``/``darwin``, ``amd64``/``arm64``."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return system, arch


def which(name: str, env: Mapping[str, str]) -> Path | None:
    """``name`` on the PATH of ``env`` (not of this process), or None."""
    found = shutil.which(name, path=env.get("PATH", ""))
    return Path(found) if found else None


def download_url(tool: str, os_name: str, arch: str) -> str:
    if tool == "kind":
        return (
            f"https://github.com/kubernetes-sigs/kind/releases/download/{KIND_VERSION}/"
            f"kind-{os_name}-{arch}"
        )
    if tool == "helm":
        return f"https://get.helm.sh/helm-{HELM_VERSION}-{os_name}-{arch}.tar.gz"
    raise ValueError(f"no pinned download for {tool}")


def download_target(tool: str, cache_dir: Path) -> Path:
    """Where the pinned ``tool`` for this machine is (or will be) kept in ``cache_dir``."""
    os_name, arch = host_platform()
    version = {"kind": KIND_VERSION, "helm": HELM_VERSION}[tool]
    return cache_dir / f"{tool}-{version}-{os_name}-{arch}"


def pinned_sha256(tool: str) -> str | None:
    """The sha256 of the pinned ``tool``'s release asset for this machine (None: no pin)."""
    pins = {"kind": KIND_SHA256, "helm": HELM_SHA256}[tool]
    return pins.get(host_platform())


def download(tool: str, cache_dir: Path) -> Path:
    """Download the pinned ``tool`` into ``cache_dir`` (once), verifying its SHA-256."""
    os_name, arch = host_platform()
    version = {"kind": KIND_VERSION, "helm": HELM_VERSION}[tool]
    expected = pinned_sha256(tool)
    if expected is None:
        raise EnvironmentUnavailable(
            f"no pinned {tool} {version} download for {os_name}/{arch}: {HOW_TO_GET[tool]}"
        )
    target = download_target(tool, cache_dir)
    if target.is_file() and os.access(target, os.X_OK):
        return target
    url = download_url(tool, os_name, arch)
    fetched = private_sibling(target, ".download")  # the file as served
    try:
        download_file(url, fetched, timeout=DOWNLOAD_TIMEOUT, expected=("sha256", expected))
    except (DownloadFailed, ValueError) as exc:
        raise EnvironmentUnavailable(
            f"{tool} not found on PATH and the download of {url} failed ({exc}): {HOW_TO_GET[tool]}"
        ) from None
    except WrongDigest as exc:
        raise EnvironmentUnavailable(
            f"{url} has sha256 {exc.actual}, expected {expected}; refusing to run it: "
            f"{HOW_TO_GET[tool]}"
        ) from None
    partial = fetched
    try:
        if tool == "helm":
            member = f"{os_name}-{arch}/helm"
            partial = private_sibling(target)
            with tarfile.open(fetched, mode="r:gz") as archive:
                extracted = archive.extractfile(member)
                if extracted is None:
                    raise EnvironmentUnavailable(f"{url} has no {member}: {HOW_TO_GET[tool]}")
                with extracted, partial.open("wb") as out:
                    shutil.copyfileobj(extracted, out)
        partial.chmod(0o755)
        partial.replace(target)
    finally:
        fetched.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class Toolbox:
    """The executables a live run uses; ``kubectl`` is optional (only pytest-kind's helper
    ``KindCluster.kubectl`` uses it, the suite itself talks to the API with the client)."""

    docker: Path
    kind: Path | None
    helm: Path
    kubectl: Path | None
    env: Mapping[str, str]
    kind_version: str = ""  # `kind version`'s, e.g. v0.29.0 ("" without kind, "?" unreadable)
    helm_version: str = ""  # `helm version --short`'s, e.g. v3.17.2


#: kind's default node image at each release (pkg/apis/config/defaults/image.go at the tag):
#: a kind whose default differs from the pinned kind's may not boot the pinned node image,
#: which kind builds per release ("Images pre-built for this release").
KIND_DEFAULT_NODE_IMAGE: dict[str, str] = {
    kind: f"kindest/node:{node}@sha256:{digest}"
    for kind, node, digest in (
        ("v0.27.0", "v1.32.2", "f226345927d7e348497136874b6d207e0b32cc52154ad8323129352923a3142f"),
        ("v0.28.0", "v1.33.1", "8d866994839cd096b3590681c55a6fa4a071fdaf33be7b9660e5697d2ed13002"),
        ("v0.29.0", "v1.33.1", "050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f"),
        ("v0.30.0", "v1.34.0", "7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a"),
        ("v0.31.0", "v1.35.0", "452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"),
        ("v0.32.0", "v1.36.1", "3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"),
    )
}
_KIND_VERSION = re.compile(r"\bkind (v\d+\.\d+\.\d+\S*)")
_HELM_VERSION = re.compile(r"\b(v\d+\.\d+\.\d+[^+\s]*)")


def read_kind_version(kind: Path, env: Mapping[str, str], timeout: float = VERSION_TIMEOUT) -> str:
    """``kind version`` prints ``kind v0.29.0 go1.24.2 linux/amd64`` (pkg/cmd/kind/version);
    the ``v0.29.0``, or "?" when it says something else or cannot run."""
    try:
        out = run(commands.kind_version(kind), timeout=timeout, env=env).stdout
    except CommandFailed:
        return "?"
    found = _KIND_VERSION.search(out)
    return found.group(1) if found else "?"


def read_helm_version(helm: Path, env: Mapping[str, str], timeout: float = VERSION_TIMEOUT) -> str:
    """``helm version --short`` prints ``v3.17.2+gcc0bbbd``; the ``v3.17.2``, or "?"."""
    try:
        out = run(commands.helm_version(helm), timeout=timeout, env=env).stdout
    except CommandFailed:
        return "?"
    found = _HELM_VERSION.search(out)
    return found.group(1) if found else "?"


def version_findings(tools: Toolbox, node_image: str) -> tuple[list[str], list[str]]:
    """(warnings, problems) about tools other than the pinned ones. A problem is what
    ``--botkube-require-cluster`` refuses: a kind whose default node image is not the pinned
    kind's (so the pinned ``node_image`` is not known to boot), a helm other than v3."""
    warnings: list[str] = []
    problems: list[str] = []
    kind_v, helm_v = tools.kind_version, tools.helm_version
    if tools.kind is not None and kind_v != KIND_VERSION:
        pinned_default = KIND_DEFAULT_NODE_IMAGE[KIND_VERSION]
        theirs = KIND_DEFAULT_NODE_IMAGE.get(kind_v)
        text = f"kind {kind_v} ({tools.kind}) is not the pinned {KIND_VERSION}"
        if theirs != pinned_default:
            problems.append(
                f"{text}, and its default node image ({theirs or 'unknown to this suite'}) is "
                f"not the pinned kind's: the node image {node_image} is built for kind "
                f"{KIND_VERSION}; {HOW_TO_GET['kind']}"
            )
        else:
            warnings.append(f"{text} (same default node image)")
    if helm_v != HELM_VERSION:
        text = f"helm {helm_v} ({tools.helm}) is not the pinned {HELM_VERSION}"
        if not helm_v.startswith("v3."):
            problems.append(f"{text}, nor a Helm 3: {HOW_TO_GET['helm']}")
        else:
            warnings.append(text)
    return warnings, problems


@dataclass(frozen=True)
class ToolLocation:
    """Where a tool is, or will be, found, without running or fetching anything."""

    name: str
    path: Path | None  # None: it cannot be had (``problem`` says why)
    how: str  # "PATH", "--botkube-kind", "cache", "download"
    problem: str = ""  # the EnvironmentUnavailable line when it cannot be had
    download_url: str = ""  # fetched (checked by sha256) into ``path`` first

    def argv0(self) -> str:
        return str(self.path) if self.path is not None else self.name


def locate_tool(
    name: str,
    env: Mapping[str, str],
    explicit: str | None = None,
    *,
    cache_dir: Path | None = None,
    allow_download: bool = False,
) -> ToolLocation:
    """The order :func:`find_tool` follows: an explicit path, else ``name`` on PATH, else the
    pinned download (kind, helm only; its cache file when it is already there). Pure: looks
    at files only, so ``run --plan`` can say where each tool comes from."""
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return ToolLocation(name, path, "explicit")
        resolved = which(explicit, env)
        if resolved is not None:
            return ToolLocation(name, resolved, "explicit")
        missing = f"{name} executable {explicit!r} does not exist"
        return ToolLocation(name, None, "explicit", missing)
    found = which(name, env)
    if found is not None:
        return ToolLocation(name, found, "PATH")
    if allow_download and cache_dir is not None and name in ("kind", "helm"):
        target = download_target(name, cache_dir)
        if target.is_file() and os.access(target, os.X_OK):
            return ToolLocation(name, target, "cache")
        if pinned_sha256(name) is None:
            os_name, arch = host_platform()
            return ToolLocation(name, None, "download", f"no pinned {name} download for "
                                f"{os_name}/{arch}: {HOW_TO_GET[name]}")  # fmt: skip
        url = download_url(name, *host_platform())
        return ToolLocation(name, target, "download", download_url=url)
    hint = HOW_TO_GET.get(name, f"install {name}")
    return ToolLocation(name, None, "PATH", f"{name} not found on PATH: {hint}")


def find_tool(
    name: str,
    env: Mapping[str, str],
    explicit: str | None = None,
    *,
    cache_dir: Path | None = None,
    allow_download: bool = False,
) -> Path:
    """An explicit path, else ``name`` on PATH, else a pinned download (kind, helm only).

    Raises :class:`EnvironmentUnavailable` naming the tool and how to get it.
    """
    return fetch_tool(
        locate_tool(name, env, explicit, cache_dir=cache_dir, allow_download=allow_download),
        cache_dir,
    )


def fetch_tool(location: ToolLocation, cache_dir: Path | None) -> Path:
    """The executable at ``location``, downloaded first when it must be; EnvironmentUnavailable
    with the location's problem."""
    if location.path is None:
        raise EnvironmentUnavailable(location.problem)
    if location.download_url and cache_dir is not None:
        return download(location.name, cache_dir)
    return location.path


def check_docker(
    docker: Path, env: Mapping[str, str], timeout: float = DOCKER_CHECK_TIMEOUT
) -> str:
    """The server version when a Docker daemon answers; else EnvironmentUnavailable.

    argv: ``docker version --format {{.Server.Version}}``
    """
    try:
        done = run(commands.docker_server_version(docker), timeout=timeout, env=env)
    except CommandFailed as exc:
        raise EnvironmentUnavailable(
            f"no Docker daemon answers ({exc}): {HOW_TO_GET['docker']}"
        ) from None
    version = done.stdout.strip()
    if not version:
        raise EnvironmentUnavailable(
            f"`docker version` printed no server version: {HOW_TO_GET['docker']}"
        )
    return version
