"""Stand-in ``docker``: a daemon that is up (or down, or Docker Desktop) on request.

Commands (https://docs.docker.com/reference/cli/docker/): ``version [--format T]``,
``info [--format T]``, ``network inspect NAME [--format T]`` (the ``kind`` network exists
while a stand-in kind cluster does; its gateway is ``BOTKUBE_STANDIN_GATEWAY``, default
127.0.0.1 so the receiver is reachable), ``image inspect IMAGE [--format T]`` (images listed
in ``BOTKUBE_STANDIN_IMAGES``, comma separated), ``exec NODE curl ... URL`` (really opens the
URL, so a receiver that is not reachable fails like curl does), ``save -o FILE IMAGE``.
``pull IMAGE`` prints docker's progress lines and makes the image present (state file);
``BOTKUBE_STANDIN_PULL`` = ``fail`` (the registry refuses) or ``slow:SECONDS`` (a pause between
lines). ``BOTKUBE_STANDIN_DOCKER`` = ``up`` (default), ``down`` or ``desktop``;
``BOTKUBE_STANDIN_DOCKER_INFO`` (JSON) replaces fields of ``docker info`` (another runtime:
``{"Name": "colima"}``, ``{"SecurityOptions": ["name=rootless"]}``), and
``BOTKUBE_STANDIN_SERVER_COMPONENTS`` names ``docker version``'s server components
(``Podman Engine``). The stand-in curl follows curl's ``-D -`` (headers to stdout).

Go templates: only the forms used by the suite and kind are evaluated (``{{json .A.B}}``,
``{{.A.B}}``, ``{{ .Id }}``); any other template fails loudly rather than answer wrongly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from ._common import (
    Flag,
    UsageError,
    err,
    find_command,
    load_json,
    out,
    parse,
    positional_after,
    record,
    save_json,
    scripted_failure,
    state_dir,
)

SERVER_VERSION = "28.1.1"
DOWN = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
FORMAT = Flag("format", "string", "f")
COMMANDS: dict[tuple[str, ...], list[Flag]] = {
    ("version",): [FORMAT],
    ("info",): [FORMAT],
    ("network", "inspect"): [FORMAT, Flag("verbose", "bool", "v")],
    ("image", "inspect"): [FORMAT],
    ("exec",): [Flag("interactive", "bool", "i"), Flag("tty", "bool", "t"),
                Flag("env", "list", "e"), Flag("user", "string", "u"),
                Flag("workdir", "string", "w"), Flag("detach", "bool", "d")],
    ("save",): [Flag("output", "string", "o")],
    ("pull",): [Flag("all-tags", "bool", "a"), Flag("disable-content-trust", "bool"),
                Flag("platform"), Flag("quiet", "bool", "q")],
}  # fmt: skip
GLOBAL = [Flag("help", "bool")]


def _pulled() -> list[str]:
    value = os.environ.get("BOTKUBE_STANDIN_STATE")
    if not value:
        return []
    data: list[str] = load_json(state_dir() / "docker-images.json", [])
    return data


def image_id(image: str) -> str | None:
    listed = [i.strip() for i in os.environ.get("BOTKUBE_STANDIN_IMAGES", "").split(",")]
    if not image or image not in [*listed, *_pulled()]:
        return None
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def pull(image: str) -> int:
    """``docker pull``'s plain (non-terminal) output, then the image is present."""
    how = os.environ.get("BOTKUBE_STANDIN_PULL", "")
    pause = float(how.split(":", 1)[1]) if how.startswith("slow:") else 0.0
    name, _, rest = image.partition("@")
    out(f"{name.rsplit(':', 1)[-1] if ':' in name else 'latest'}: Pulling from "
        f"{name.split(':', 1)[0]}")  # fmt: skip
    sys.stdout.flush()
    if how == "fail":
        raise UsageError(f"Error response from daemon: Head \"https://registry-1.docker.io/v2/"
                         f"{name.split(':', 1)[0]}/manifests/{rest or 'latest'}\": dial tcp: "
                         "lookup registry-1.docker.io: no such host")  # fmt: skip
    for layer in ("a1b2c3d4e5f6", "0f1e2d3c4b5a"):
        time.sleep(pause)
        out(f"{layer}: Pull complete")
        sys.stdout.flush()
    out(f"Digest: {rest or 'sha256:' + '0' * 64}")
    out(f"Status: Downloaded newer image for {image}")
    save_json(state_dir() / "docker-images.json", sorted({*_pulled(), image}))
    return 0


def render(template: str | None, doc: Any) -> str:
    """The few Go template forms in use; anything else is refused."""
    if template is None:
        return json.dumps(doc if isinstance(doc, list) else [doc], indent=4)
    if re.fullmatch(r"\{\{\s*json\s+\.\s*\}\}", template.strip()):
        return json.dumps(doc)
    m = re.fullmatch(r"\{\{\s*(json\s+)?((?:\.[A-Za-z]+)+)\s*\}\}", template.strip())
    if m is None:
        raise UsageError(f"stand-in docker cannot evaluate template {template!r}")
    value: Any = doc
    for part in m.group(2).split(".")[1:]:
        value = value.get(part) if isinstance(value, dict) else None
    if m.group(1):
        return json.dumps(value)
    return "<no value>" if value is None else str(value)


def main(argv: Sequence[str]) -> int:
    record("docker", argv)
    command = find_command(argv, list(COMMANDS))
    if command is None:
        words = [a for a in argv if not a.startswith("-")]
        err(f"docker: unknown command: docker {' '.join(words[:2])}")
        return 1
    if command == ("exec",):
        return docker_exec(list(argv))
    try:
        parsed = parse(argv, COMMANDS[command] + GLOBAL)
    except UsageError as exc:
        err(f"{exc}\nSee 'docker {' '.join(command)} --help'.")
        return 125
    args = positional_after(parsed.args, command)
    mode = os.environ.get("BOTKUBE_STANDIN_DOCKER", "up")
    failure = scripted_failure("docker", argv)
    try:
        if failure:
            raise UsageError(failure)
        if command == ("version",):
            client = {"Version": SERVER_VERSION, "ApiVersion": "1.49"}
            if mode == "down":
                out(render(parsed.get("format"), {"Client": client, "Server": None}))
                raise UsageError(DOWN)
            names = os.environ.get("BOTKUBE_STANDIN_SERVER_COMPONENTS", "Engine").split(",")
            components = [{"Name": n.strip(), "Version": SERVER_VERSION} for n in names]
            server = {"Version": SERVER_VERSION, "ApiVersion": "1.49", "Components": components}
            doc = {"Client": client, "Server": server}
            out(render(parsed.get("format"), doc))
            return 0
        if mode == "down":
            raise UsageError(DOWN)
        if command == ("info",):
            os_name = "Docker Desktop" if mode == "desktop" else "Ubuntu 24.04.2 LTS"
            doc = {"ServerVersion": SERVER_VERSION, "OperatingSystem": os_name,
                   "Name": "standin-host", "SecurityOptions": ["name=seccomp,profile=builtin"],
                   "ClientInfo": {"Context": "default"}}  # fmt: skip
            doc.update(json.loads(os.environ.get("BOTKUBE_STANDIN_DOCKER_INFO") or "{}"))
            out(render(parsed.get("format"), doc))
            return 0
        if command == ("network", "inspect"):
            return network_inspect(args, parsed.get("format"))
        if command == ("image", "inspect"):
            for image in args:
                ident = image_id(image)
                if ident is None:
                    raise UsageError(f"Error response from daemon: No such image: {image}")
                out(render(parsed.get("format"), {"Id": ident, "RepoTags": [image]}))
            return 0
        if command == ("pull",):
            if len(args) != 1:
                raise UsageError('"docker pull" requires exactly 1 argument.')
            return pull(args[0])
        if command == ("save",):
            if not args or image_id(args[0]) is None:
                raise UsageError(f"Error response from daemon: No such image: {args[:1]}")
            return 0
    except UsageError as exc:
        err(str(exc))
        return 1
    return 1


def network_inspect(names: list[str], template: str | None) -> int:
    from .kind import clusters

    for name in names:
        if name != "kind" or not clusters():
            raise UsageError(f"Error response from daemon: network {name} not found")
        gateway = os.environ.get("BOTKUBE_STANDIN_GATEWAY", "127.0.0.1")
        doc = {
            "Name": "kind",
            "Id": "3f6c0a1b2d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef12",
            "Driver": "bridge",
            "Options": {"com.docker.network.bridge.enable_ip_masquerade": "true"},
            "IPAM": {
                "Driver": "default",
                "Config": [
                    {"Subnet": "fc00:f853:ccd:e793::/64"},
                    {"Subnet": f"{gateway.rsplit('.', 1)[0]}.0/16", "Gateway": gateway},
                ],
            },
        }
        out(render(template, doc))
    return 0


def docker_exec(argv: list[str]) -> int:
    """``docker exec [OPTIONS] CONTAINER COMMAND [ARG...]``: options stop at the container."""
    i = 1
    opts: list[str] = []
    while i < len(argv) and argv[i].startswith("-"):
        opts.append(argv[i])
        if argv[i] in ("-e", "--env", "-u", "--user", "-w", "--workdir"):
            i += 1
            opts.append(argv[i])
        i += 1
    try:
        parse(opts, COMMANDS[("exec",)])
    except UsageError as exc:
        err(f"{exc}\nSee 'docker exec --help'.")
        return 125
    if os.environ.get("BOTKUBE_STANDIN_DOCKER", "up") == "down":
        err(DOWN)
        return 1
    container, command = argv[i], argv[i + 1 :]
    from .kind import clusters

    state_dir()
    if container not in {f"{n}-control-plane" for n in clusters()}:
        err(f"Error response from daemon: No such container: {container}")
        return 1
    if not command or command[0] != "curl":
        err(f"stand-in docker exec runs only curl, not {command[:1]}")
        return 126
    return curl(command[1:])


def curl(args: list[str]) -> int:
    """The curl options the reachability probe uses: -sS -m SECS -o FILE -D - [-w FORMAT] URL."""
    timeout, write_out, url, dump = 10.0, "", "", False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-m", "--max-time"):
            timeout = float(args[i + 1])
            i += 1
        elif arg in ("-w", "--write-out"):
            write_out = args[i + 1]
            i += 1
        elif arg in ("-o", "--output"):
            i += 1
        elif arg in ("-D", "--dump-header"):
            dump = args[i + 1] == "-"
            i += 1
        elif arg in ("-sS", "-s", "-S", "--silent", "--show-error", "-f", "--fail"):
            pass
        elif arg.startswith("-"):
            err(f"curl: option {arg}: is unknown")
            return 2
        else:
            url = arg
        i += 1
    code = "000"
    headers: list[tuple[str, str]] = []
    reason = ""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            code, reason, headers = str(resp.status), resp.reason, list(resp.headers.items())
    except urllib.error.HTTPError as exc:
        code, reason, headers = str(exc.code), str(exc.reason), list(exc.headers.items())
    except (urllib.error.URLError, OSError) as exc:
        out(write_out.replace("%{http_code}", code))
        err(f"curl: (7) Failed to connect to {url}: {exc}")
        return 7
    if dump:
        sys.stdout.write(f"HTTP/1.1 {code} {reason}\r\n")
        sys.stdout.write("".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n")
    sys.stdout.write(write_out.replace("%{http_code}", code))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
