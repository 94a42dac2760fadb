"""Stand-in ``kind``: clusters are entries in the state directory, their API is the double.

Commands and flags (kind v0.29.0, https://kind.sigs.k8s.io/docs/user/quick-start/ and the
``pkg/cmd/kind/...`` command definitions): ``create cluster [--name|-n N] [--image I]
[--config F] [--retain] [--wait D] [--kubeconfig K]``, ``get clusters``, ``get kubeconfig
[--name N] [--internal]``, ``export kubeconfig [--name N] [--kubeconfig K] [--internal]``,
``delete cluster [--name N] [--kubeconfig K]``, ``load docker-image IMAGE... [--name N]
[--nodes n1,n2]``, ``version``; global ``-v/--verbosity``, ``-q/--quiet``, ``--loglevel``.
Errors are printed as ``ERROR: <message>`` with exit status 1, like kind's main.

``BOTKUBE_STANDIN_KIND_CREATE`` scripts a create that goes wrong the way a real one can:
``hang`` (the node container exists, then kind blocks, e.g. on a registry, until it is killed)
or ``crash`` (the node exists and kind dies without its own cleanup). Either leaves a half-made
cluster: listed by ``get clusters``, refused by ``export kubeconfig`` (no admin.conf yet), gone
after ``delete cluster``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ._common import (
    DOUBLE_ENV,
    Flag,
    Parsed,
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

VERSION = "kind v0.29.0 go1.24.2 linux/amd64"
DEFAULT_IMAGE = "kindest/node:v1.33.1"
GLOBAL = [Flag("verbosity", "int", "v"), Flag("quiet", "bool", "q"), Flag("loglevel"),
          Flag("help", "bool", "h")]  # fmt: skip
NAME = Flag("name", "string", "n")
KUBECONFIG = Flag("kubeconfig")
COMMANDS: dict[tuple[str, ...], list[Flag]] = {
    ("create", "cluster"): [NAME, Flag("image"), Flag("config"), Flag("retain", "bool"),
                            Flag("wait", "duration"), KUBECONFIG],
    ("get", "clusters"): [],
    ("get", "kubeconfig"): [NAME, Flag("internal", "bool")],
    ("export", "kubeconfig"): [NAME, KUBECONFIG, Flag("internal", "bool")],
    ("delete", "cluster"): [NAME, KUBECONFIG],
    ("load", "docker-image"): [NAME, Flag("nodes", "slice")],
    ("version",): [],
}  # fmt: skip


def _clusters_file() -> Path:
    return state_dir() / "kind-clusters.json"


def clusters() -> dict[str, Any]:
    data: dict[str, Any] = load_json(_clusters_file(), {})
    return data


def _kubeconfig_path(flag: str | None) -> Path:
    if flag:
        return Path(flag)
    env = os.environ.get("KUBECONFIG", "")
    first = env.split(os.pathsep)[0] if env else ""
    return Path(first) if first else Path.home() / ".kube" / "config"


def kubeconfig_doc(name: str, server: str) -> dict[str, Any]:
    ctx = f"kind-{name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "current-context": ctx,
        "clusters": [{"name": ctx, "cluster": {"server": server}}],
        "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}}],
        "users": [{"name": ctx, "user": {"token": f"standin-{name}"}}],
    }


def _merge_kubeconfig(path: Path, doc: dict[str, Any]) -> None:
    """Add or replace the cluster's entries, keep the others, switch current-context (as kind)."""
    try:
        current = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        current = {}
    merged = {"apiVersion": "v1", "kind": "Config", "preferences": {}, **current}
    for key in ("clusters", "contexts", "users"):
        names = {e["name"] for e in doc[key]}
        merged[key] = [e for e in (current.get(key) or []) if e.get("name") not in names]
        merged[key] += doc[key]
    merged["current-context"] = doc["current-context"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(merged), encoding="utf-8")
    path.chmod(0o600)


def _remove_kubeconfig(path: Path, name: str) -> None:
    ctx = f"kind-{name}"
    try:
        current = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        return
    for key in ("clusters", "contexts", "users"):
        current[key] = [e for e in (current.get(key) or []) if e.get("name") != ctx]
    if current.get("current-context") == ctx:
        current["current-context"] = ""
    path.write_text(yaml.safe_dump(current), encoding="utf-8")


def _name(parsed: Parsed, config_name: str | None = None) -> str:
    return str(parsed.get("name") or os.environ.get("KIND_CLUSTER_NAME") or config_name or "kind")


def _not_found(name: str) -> UsageError:
    return UsageError(
        f"could not locate any control plane nodes for cluster named '{name}'. "
        "Use the --name option to select a different cluster"
    )


def create_cluster(parsed: Parsed) -> int:
    if parsed.args:
        raise UsageError(f'unknown command "{parsed.args[0]}" for "kind create cluster"')
    config_name = None
    config = parsed.get("config")
    if config:
        try:
            doc = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise UsageError(f"failed to create cluster: error reading file: {exc}") from None
        if doc.get("kind") != "Cluster" or doc.get("apiVersion") != "kind.x-k8s.io/v1alpha4":
            raise UsageError(f"failed to create cluster: {config}: not a kind Cluster config")
        config_name = doc.get("name")
    name = _name(parsed, config_name)
    known = clusters()
    if name in known:
        raise UsageError(
            f'failed to create cluster: node(s) already exist for a cluster with the name "{name}"'
        )
    server = os.environ.get(DOUBLE_ENV)
    if not server:
        raise UsageError(f"failed to create cluster: stand-in kind needs {DOUBLE_ENV}")
    image = parsed.get("image") or DEFAULT_IMAGE
    err(f'Creating cluster "{name}" ...')
    err(f" \u2713 Ensuring node image ({image})")
    trouble = os.environ.get("BOTKUBE_STANDIN_KIND_CREATE", "")
    if trouble in ("hang", "crash"):
        known[name] = {"image": image, "config": config, "server": server, "images": [],
                       "half_made": True}  # fmt: skip
        save_json(_clusters_file(), known)
        err(" \u2713 Preparing nodes")
        if trouble == "crash":
            err(" \u2717 Starting control-plane")
            raise UsageError("failed to create cluster: failed to init node with kubeadm")
        sys.stderr.flush()
        time.sleep(600)
    err(" \u2713 Preparing nodes\n \u2713 Writing configuration\n \u2713 Starting control-plane")
    err(" \u2713 Installing CNI\n \u2713 Installing StorageClass")
    kubeconfig = _kubeconfig_path(parsed.get("kubeconfig"))
    _merge_kubeconfig(kubeconfig, kubeconfig_doc(name, server))
    known[name] = {"image": image, "config": config, "server": server, "images": [],
                   "kubeconfig": str(kubeconfig)}  # fmt: skip
    save_json(_clusters_file(), known)
    err(f'Set kubectl context to "kind-{name}"')
    return 0


def main(argv: Sequence[str]) -> int:
    record("kind", argv)
    try:
        return _main(list(argv))
    except UsageError as exc:
        err(f"ERROR: {exc}")
        return 1


def _main(argv: list[str]) -> int:
    command = find_command(argv, list(COMMANDS))
    if command is None:
        words = [a for a in argv if not a.startswith("-")]
        if argv in (["--version"], ["-V"]):
            out(VERSION.replace("kind ", "kind version "))
            return 0
        raise UsageError(f'unknown command "{" ".join(words[:2])}" for "kind"')
    parsed = parse(argv, COMMANDS[command] + GLOBAL)
    parsed.args = positional_after(parsed.args, command)
    failure = scripted_failure("kind", argv)
    if failure:
        raise UsageError(failure)
    if command == ("version",):  # BOTKUBE_STANDIN_KIND_VERSION: another release
        release = os.environ.get("BOTKUBE_STANDIN_KIND_VERSION")
        out(VERSION.replace("v0.29.0", release) if release else VERSION)
        return 0
    if command == ("create", "cluster"):
        return create_cluster(parsed)
    known = clusters()
    if command == ("get", "clusters"):
        if not known:
            err("No kind clusters found.")
        for name in sorted(known):
            out(name)
        return 0
    name = _name(parsed)
    if command == ("get", "kubeconfig"):
        if name not in known:
            raise _not_found(name)
        out(yaml.safe_dump(kubeconfig_doc(name, known[name]["server"])))
        return 0
    if command == ("export", "kubeconfig"):
        if name not in known:
            raise _not_found(name)
        if known[name].get("half_made"):
            raise UsageError(
                'failed to get cluster internal kubeconfig: command "docker exec --privileged '
                f'{name}-control-plane cat /etc/kubernetes/admin.conf" failed with error: exit '
                "status 1"
            )
        path = _kubeconfig_path(parsed.get("kubeconfig"))
        _merge_kubeconfig(path, kubeconfig_doc(name, known[name]["server"]))
        err(f'Set kubectl context to "kind-{name}"')
        return 0
    if command == ("delete", "cluster"):
        err(f'Deleting cluster "{name}" ...')
        if name in known:
            _remove_kubeconfig(_kubeconfig_path(parsed.get("kubeconfig")), name)
            del known[name]
            save_json(_clusters_file(), known)
            err(f'Deleted nodes: ["{name}-control-plane"]')
        return 0
    if command == ("load", "docker-image"):
        return load_image(parsed, name, known)
    raise UsageError(f"unhandled command {command}")


def load_image(parsed: Parsed, name: str, known: dict[str, Any]) -> int:
    if not parsed.args:
        raise UsageError("name of image is required")
    from . import docker

    for image in parsed.args:
        if docker.image_id(image) is None:
            raise UsageError(f'image: "{image}" not present locally')
    if name not in known:
        raise UsageError(f'no nodes found for cluster "{name}"')
    node = f"{name}-control-plane"
    for node_name in parsed.get("nodes") or []:
        if node_name != node:
            raise UsageError(f'unknown node: "{node_name}"')
    for image in parsed.args:
        if image not in known[name]["images"]:
            err(f'Image: "{image}" with ID "{docker.image_id(image)}" not yet present on node '
                f'"{node}", loading...')  # fmt: skip
            known[name]["images"].append(image)
    save_json(_clusters_file(), known)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
