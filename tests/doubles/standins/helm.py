"""Stand-in ``helm`` (v3.17.2): installs a BotKube release into the API double.

The flag tables below are those of ``helm <command> --help`` of the real Helm v3.17.2 (also
https://helm.sh/docs/helm/helm_install/, helm_upgrade/, helm_uninstall/, helm_status/,
helm_get_values/, helm_version/), so an unknown or misspelt flag fails here as in helm:
``Error: unknown flag: --x`` on stderr, exit status 1.

The API server is the ``server`` of the kubeconfig helm would use (``--kubeconfig``, else
``$KUBECONFIG``, else ``~/.kube/config``; context ``--kube-context`` else current-context), so
the stand-in only works when the suite passes the right connection flags. An install copies
every ``--values`` file and the merged values under ``<state>/helm/<namespace>/<release>/`` and
asks the double (``POST /_double/helm/install``) to create the chart's objects, passing on
``BOTKUBE_STANDIN_AGENT_VIOLATION`` for the agent double (doubles/agent.py).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ._common import (
    AGENT_VIOLATION_ENV,
    Flag,
    Parsed,
    UsageError,
    err,
    find_command,
    out,
    parse,
    positional_after,
    record,
    scripted_failure,
    state_dir,
)

VERSION = "v3.17.2"
GIT_COMMIT = "cc0bbbd6d6276b83880042c1ecb34087e84d41eb"
KNOWN_CHARTS = {"https://charts.botkube.io": {"botkube": ["v1.13.0", "v1.14.0"]}}

GLOBAL = [
    Flag("burst-limit", "int"), Flag("debug", "bool"), Flag("kube-apiserver"),
    Flag("kube-as-group", "list"), Flag("kube-as-user"), Flag("kube-ca-file"),
    Flag("kube-context"), Flag("kube-insecure-skip-tls-verify", "bool"),
    Flag("kube-tls-server-name"), Flag("kube-token"), Flag("kubeconfig"),
    Flag("namespace", "string", "n"), Flag("qps", "float"), Flag("registry-config"),
    Flag("repository-cache"), Flag("repository-config"), Flag("help", "bool", "h"),
]  # fmt: skip
_INSTALL_COMMON = [
    Flag("atomic", "bool"), Flag("ca-file"), Flag("cert-file"), Flag("create-namespace", "bool"),
    Flag("dependency-update", "bool"), Flag("description"), Flag("devel", "bool"),
    Flag("disable-openapi-validation", "bool"), Flag("dry-run", no_opt="client"),
    Flag("enable-dns", "bool"), Flag("force", "bool"), Flag("hide-notes", "bool"),
    Flag("hide-secret", "bool"), Flag("insecure-skip-tls-verify", "bool"), Flag("key-file"),
    Flag("keyring"), Flag("labels", "map", "l"), Flag("no-hooks", "bool"),
    Flag("output", "string", "o"), Flag("pass-credentials", "bool"), Flag("password"),
    Flag("plain-http", "bool"), Flag("post-renderer"), Flag("post-renderer-args", "list"),
    Flag("render-subchart-notes", "bool"), Flag("repo"), Flag("set", "list"),
    Flag("set-file", "list"), Flag("set-json", "list"), Flag("set-literal", "list"),
    Flag("set-string", "list"), Flag("skip-crds", "bool"), Flag("skip-schema-validation", "bool"),
    Flag("take-ownership", "bool"), Flag("timeout", "duration"), Flag("username"),
    Flag("values", "slice", "f"), Flag("verify", "bool"), Flag("version"), Flag("wait", "bool"),
    Flag("wait-for-jobs", "bool"),
]  # fmt: skip
COMMANDS: dict[tuple[str, ...], list[Flag]] = {
    ("install",): [*_INSTALL_COMMON, Flag("generate-name", "bool", "g"),
                   Flag("name-template"), Flag("replace", "bool")],
    ("upgrade",): [*_INSTALL_COMMON, Flag("cleanup-on-fail", "bool"),
                   Flag("history-max", "int"), Flag("install", "bool", "i"),
                   Flag("reset-then-reuse-values", "bool"), Flag("reset-values", "bool"),
                   Flag("reuse-values", "bool")],
    ("uninstall",): [Flag("cascade"), Flag("description"), Flag("dry-run", "bool"),
                     Flag("ignore-not-found", "bool"), Flag("keep-history", "bool"),
                     Flag("no-hooks", "bool"), Flag("timeout", "duration"), Flag("wait", "bool")],
    ("status",): [Flag("output", "string", "o"), Flag("revision", "int"),
                  Flag("show-desc", "bool"), Flag("show-resources", "bool")],
    ("get", "values"): [Flag("all", "bool", "a"), Flag("output", "string", "o"),
                        Flag("revision", "int")],
    ("version",): [Flag("short", "bool"), Flag("template")],
}  # fmt: skip
ALIASES = {"un": "uninstall", "del": "uninstall", "delete": "uninstall", "uninstal": "uninstall"}


class HelmError(Exception):
    """Printed as ``Error: <message>``; exit status 1 (as helm's main does)."""


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _set_path(values: dict[str, Any], assignment: str, literal: bool = False) -> None:
    key, eq, raw = assignment.partition("=")
    if not eq:
        raise HelmError(f'failed parsing --set data: key "{key}" has no value')
    value: Any = raw
    if not literal:
        value = yaml.safe_load(raw) if raw else ""
    node = values
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _connection(parsed: Parsed) -> tuple[str, str | None]:
    """(API server URL, namespace of the context) from the kubeconfig helm would read."""
    path = parsed.get("kubeconfig") or (os.environ.get("KUBECONFIG", "").split(os.pathsep)[0])
    path = path or str(Path.home() / ".kube" / "config")
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError:
        raise HelmError(
            'Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp '
            "[::1]:8080: connect: connection refused"
        ) from None
    ctx_name = parsed.get("kube-context") or doc.get("current-context")
    ctx = next((c["context"] for c in doc.get("contexts") or [] if c["name"] == ctx_name), None)
    if ctx is None:
        raise HelmError(f'Kubernetes cluster unreachable: context "{ctx_name}" does not exist')
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    return str(cluster["server"]), ctx.get("namespace")


def _control(server: str, call: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        f"{server}/_double/helm/{call}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        status = json.loads(exc.read() or b"{}")
        raise HelmError(str(status.get("message", exc))) from None
    except (urllib.error.URLError, OSError) as exc:
        raise HelmError(f"Kubernetes cluster unreachable: {exc}") from None


def _release_dir(namespace: str, release: str) -> Path:
    return state_dir() / "helm" / namespace / release


def _releases(server: str) -> dict[str, dict[str, Any]]:
    """The releases recorded in the cluster (real helm keeps them in Secrets there too), so a
    helm process killed mid-install leaves a release that the next uninstall finds."""
    listed = _control(server, "releases", {})
    return {f"{r['namespace']}/{r['name']}": r for r in listed}


def _status_doc(rel: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": rel["name"],
        "info": {
            "first_deployed": rel["deployed"],
            "last_deployed": rel["deployed"],
            "deleted": "",
            "description": "Install complete" if rel["revision"] == 1 else "Upgrade complete",
            "status": "deployed",
        },
        "config": rel["values"],
        "version": rel["revision"],
        "namespace": rel["namespace"],
    }


def _local_chart_version(path: Path) -> str:
    """The ``version`` of a chart directory or a chart archive, as helm's loader finds it (an
    archive's Chart.yaml sits one directory down, under the chart's name)."""
    if not path.exists():
        raise HelmError(f'path "{path}" not found')
    if path.is_dir():
        chart_yaml = path / "Chart.yaml"
        if not chart_yaml.is_file():
            raise HelmError(f"Chart.yaml file is missing in {path}")
        text = chart_yaml.read_text(encoding="utf-8")
    else:
        try:
            with tarfile.open(path, mode="r:gz") as archive:
                member = next((m for m in archive if m.name.count("/") == 1
                               and m.name.endswith("/Chart.yaml")), None)  # fmt: skip
                handle = archive.extractfile(member) if member is not None else None
                if handle is None:
                    raise HelmError("Chart.yaml file is missing")
                text = handle.read().decode("utf-8")
        except (OSError, tarfile.TarError) as exc:
            raise HelmError(f"file '{path}' does not appear to be a gzipped archive; got "
                            f"'{exc}'") from None  # fmt: skip
    return str((yaml.safe_load(text) or {}).get("version", ""))


def install(command: str, parsed: Parsed) -> int:
    args = parsed.args
    if command == "upgrade":
        if len(args) != 2:
            raise HelmError(
                '"helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] '
                "[flags]"
            )
        if not parsed.get("install"):
            raise HelmError(f'UPGRADE FAILED: "{args[0]}" has no deployed releases')
    elif len(args) != 2:
        raise HelmError("INSTALLATION FAILED: must either provide a name or specify "
                        "--generate-name")  # fmt: skip
    release, chart = args
    server, ctx_ns = _connection(parsed)
    namespace = parsed.get("namespace") or ctx_ns or "default"
    version = parsed.get("version")
    repo = parsed.get("repo")
    if repo:
        versions = KNOWN_CHARTS.get(repo.rstrip("/"), {}).get(chart)
        if versions is None:
            raise HelmError(f'chart "{chart}" not found in {repo} repository')
        if version and version not in versions:
            raise HelmError(f'chart "{chart}" version "{version}" not found in {repo} repository')
        version = version or versions[-1]
    else:
        version = _local_chart_version(Path(chart))
    merged: dict[str, Any] = {}
    rel_dir = _release_dir(namespace, release)
    if rel_dir.exists():
        shutil.rmtree(rel_dir)
    rel_dir.mkdir(parents=True)
    for index, values_file in enumerate(parsed.get("values") or []):
        try:
            text = Path(values_file).read_text(encoding="utf-8")
        except OSError:
            raise HelmError(f"open {values_file}: no such file or directory") from None
        (rel_dir / f"values-{index}.yaml").write_text(text, encoding="utf-8")
        merged = deep_merge(merged, yaml.safe_load(text) or {})
    for flag in ("set", "set-string", "set-literal"):
        for assignment in parsed.get(flag) or []:
            _set_path(merged, assignment, literal=flag != "set")
    (rel_dir / "values.yaml").write_text(yaml.safe_dump(merged), encoding="utf-8")
    releases = _releases(server)
    key = f"{namespace}/{release}"
    revision = 1
    dry_run = parsed.get("dry-run") not in (None, "none", "false")
    if key in releases:
        if command == "install":
            raise HelmError("INSTALLATION FAILED: cannot re-use a name that is still in use")
        revision = releases[key]["revision"] + 1
        if not dry_run:
            _control(server, "uninstall", {"namespace": namespace, "release": release})
    elif command == "upgrade":
        out(f'Release "{release}" does not exist. Installing it now.')
    if not dry_run:
        _control(server, "install", {
            "namespace": namespace, "release": release, "values": merged, "chart": chart,
            "version": version, "create_namespace": bool(parsed.get("create-namespace")),
            "client_pid": os.getppid(), "revision": revision,
            "agent_violations": os.environ.get(AGENT_VIOLATION_ENV, ""),
        })  # fmt: skip
    out(f"NAME: {release}\nLAST DEPLOYED: {datetime.now(UTC):%a %b %d %H:%M:%S %Y}")
    out(f"NAMESPACE: {namespace}\nSTATUS: {'pending-install' if dry_run else 'deployed'}")
    out(f"REVISION: {revision}\nTEST SUITE: None")
    return 0


def uninstall(parsed: Parsed) -> int:
    if not parsed.args:
        raise HelmError('"helm uninstall" requires at least 1 argument\n\nUsage:  helm '
                        "uninstall RELEASE_NAME [...] [flags]")  # fmt: skip
    server, ctx_ns = _connection(parsed)
    namespace = parsed.get("namespace") or ctx_ns or "default"
    releases = _releases(server)
    for release in parsed.args:
        key = f"{namespace}/{release}"
        if key not in releases:
            if parsed.get("ignore-not-found"):
                continue
            raise HelmError(f"uninstall: Release not loaded: {release}: release: not found")
        if not parsed.get("dry-run"):
            _control(server, "uninstall", {"namespace": namespace, "release": release})
        out(f'release "{release}" uninstalled')
    return 0


def _find(parsed: Parsed) -> dict[str, Any]:
    if len(parsed.args) != 1:
        raise HelmError("release name is required")
    server, ctx_ns = _connection(parsed)
    namespace = parsed.get("namespace") or ctx_ns or "default"
    rel: dict[str, Any] | None = _releases(server).get(f"{namespace}/{parsed.args[0]}")
    if rel is None:
        raise HelmError("release: not found")
    return rel


def _emit(doc: Any, fmt: str | None, table: str) -> None:
    if fmt == "json":
        out(json.dumps(doc))
    elif fmt == "yaml":
        out(yaml.safe_dump(doc))
    elif fmt in (None, "table"):
        out(table)
    else:
        raise HelmError(f'invalid format type "{fmt}"')


def main(argv: Sequence[str]) -> int:
    record("helm", argv)
    try:
        return _main(list(argv))
    except (HelmError, UsageError) as exc:
        err(f"Error: {exc}")
        return 1


def _main(argv: list[str]) -> int:
    command = find_command(argv, list(COMMANDS), ALIASES)
    if command is None:
        words = [a for a in argv if not a.startswith("-")]
        raise HelmError(f'unknown command "{words[0] if words else ""}" for "helm"')
    parsed = parse([ALIASES.get(a, a) for a in argv], COMMANDS[command] + GLOBAL)
    parsed.args = positional_after(parsed.args, command)
    failure = scripted_failure("helm", argv)
    if failure:
        raise HelmError(failure)
    if command == ("version",):  # BOTKUBE_STANDIN_HELM_VERSION: another release
        version = os.environ.get("BOTKUBE_STANDIN_HELM_VERSION") or VERSION
        if parsed.get("short"):
            out(f"{version}+g{GIT_COMMIT[:7]}")
        else:
            out(f'version.BuildInfo{{Version:"{version}", GitCommit:"{GIT_COMMIT}", '
                'GitTreeState:"clean", GoVersion:"go1.23.7"}')  # fmt: skip
        return 0
    if command in (("install",), ("upgrade",)):
        return install(command[0], parsed)
    if command == ("uninstall",):
        return uninstall(parsed)
    rel = _find(parsed)
    if command == ("status",):
        doc = _status_doc(rel)
        info = doc["info"]
        table = (f"NAME: {rel['name']}\nLAST DEPLOYED: {info['last_deployed']}\n"
                 f"NAMESPACE: {rel['namespace']}\nSTATUS: deployed\n"
                 f"REVISION: {rel['revision']}\nTEST SUITE: None")  # fmt: skip
        _emit(doc, parsed.get("output"), table)
        return 0
    if command == ("get", "values"):
        header = "COMPUTED VALUES:" if parsed.get("all") else "USER-SUPPLIED VALUES:"
        _emit(rel["values"], parsed.get("output"), f"{header}\n{yaml.safe_dump(rel['values'])}")
        return 0
    raise HelmError(f"unhandled command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
