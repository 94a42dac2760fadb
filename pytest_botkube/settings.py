"""The ``--botkube-*`` settings: one table (names, defaults, environment variables, parsing)
and the one typed, frozen :class:`Settings` built from it with one precedence.

Command line, then environment variable, then ini key, then the table's default. Without pytest,
so that ``botkube-repro run`` (which offers the same settings without the prefix) loads neither
pytest nor the plugin; :mod:`pytest_botkube.plugin.options` registers the table with pytest and
adds the ini keys. A default is written once, in :data:`OPTIONS`; every other place that needs
one reads :data:`DEFAULTS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from pytest_botkube.text import shown

Kind = Literal["str", "path", "float", "int", "bool", "list", "choice"]


# -- checks: a value the live run cannot use is refused with the option, before anything runs --
# Each raises ValueError (or BadInput) saying what is wrong; convert() adds where it came from.
# Imports inside: the plugin registers this table at every pytest start, and must stay cheap.


def _check_version(value: str) -> None:
    from pytest_botkube.model.versions import normalize_botkube_version

    normalize_botkube_version(value)


def _check_health_interval(value: str) -> None:
    from pytest_botkube.model.durations import check_health_interval

    check_health_interval(value)


def _check_image(value: str) -> None:
    from pytest_botkube.model.images import parse_image

    image = parse_image(value)
    if not image.name or image.digest is not None:
        raise ValueError(f"{shown(value)}: expected REPOSITORY[:TAG], e.g. localhost/botkube:dev")


def check_tool_path(value: str) -> None:
    """A tool given as a path (it has a ``/``) must be an executable file: a typed path that
    is not there is bad input (exit 2), like ``--botkube-kubeconfig``. A bare name (``kind``,
    ``kind-0.27``) is looked up on PATH when the run starts; not finding it there is the
    environment's (exit 3)."""
    import os

    if os.sep not in value and "/" not in value:
        return
    path = Path(value)
    if path.is_dir():
        raise ValueError(f"{shown(value)} is a directory, not an executable")
    if not path.is_file():
        raise ValueError(f"{shown(value)} does not exist")
    if not os.access(path, os.X_OK):
        raise ValueError(f"{shown(value)} is not executable (chmod +x it)")


def _check_port(value: int) -> None:
    if value > 65535:
        raise ValueError(f"{value}: expected a port number in 0-65535 (0: any free port)")


@dataclass(frozen=True)
class Option:
    name: str  # the setting, also the ini key: botkube_<name>
    flag: str  # --botkube-...
    help: str
    kind: Kind = "str"
    default: Any = None
    env: str | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    check: Callable[[Any], None] | None = field(default=None, compare=False, repr=False)

    @property
    def ini(self) -> str:
        return f"botkube_{self.name}"

    @property
    def dest(self) -> str:
        return f"botkube_{self.name}"

    @property
    def described(self) -> str:
        """The help line every front-end shows: the help, then its default if it has one (so
        the help text itself never states the default)."""
        if self.default in (None, ""):
            return self.help
        return f"{self.help} (default {self.default})"


OPTIONS: tuple[Option, ...] = (
    Option(
        "scenario",
        "--botkube-scenario",
        "run only these scenarios (file stem in scenarios/); repeat or comma-separate",
        kind="list",
        env="BOTKUBE_SCENARIO",
        metavar="NAME",
    ),
    Option(
        "values",
        "--botkube-values",
        "a user's Helm values file, run as an ad-hoc scenario (needs --botkube-version)",
        kind="path",
        env="BOTKUBE_VALUES",
        metavar="FILE",
    ),
    Option(
        "version",
        "--botkube-version",
        "BotKube chart version for --botkube-values (e.g. v1.13.0)",
        env="BOTKUBE_VERSION",
        metavar="V",
        check=_check_version,
    ),
    Option(
        "chart",
        "--botkube-chart",
        "the BotKube chart: a Helm repository URL, a .tgz file or URL, or a chart directory "
        "(default: charts.botkube.io, then its gh-pages copies on GitHub; sha256-pinned)",
        env="BOTKUBE_CHART",
        metavar="REPO|TGZ|DIR",
    ),
    Option(
        "image",
        "--botkube-image",
        "agent image to test (e.g. a candidate fix build); loaded with `kind load docker-image`",
        env="BOTKUBE_IMAGE",
        metavar="REF",
        check=_check_image,
    ),
    Option(
        "cluster_mode",
        "--botkube-cluster-mode",
        "create a kind cluster, reuse a kind cluster by name, or use an existing kubeconfig",
        kind="choice",
        default="create",
        env="BOTKUBE_CLUSTER_MODE",
        choices=("create", "reuse", "existing"),
    ),
    Option(
        "cluster_name",
        "--botkube-cluster-name",
        "kind cluster name (create/reuse modes)",
        default="botkube-repro",
        env="BOTKUBE_CLUSTER_NAME",
        metavar="NAME",
    ),
    Option(
        "kubeconfig",
        "--botkube-kubeconfig",
        "kubeconfig of an existing cluster (existing mode; default $KUBECONFIG or ~/.kube/config)",
        kind="path",
        env="BOTKUBE_KUBECONFIG",
        metavar="FILE",
    ),
    Option(
        "context",
        "--botkube-context",
        "kubeconfig context (existing mode; default the current context)",
        env="BOTKUBE_CONTEXT",
        metavar="NAME",
    ),
    Option(
        "node_image",
        "--botkube-node-image",
        "kind node image (default: a digest-pinned kindest/node for the pinned kind)",
        env="BOTKUBE_NODE_IMAGE",
        metavar="REF",
    ),
    Option(
        "keep",
        "--botkube-keep",
        "keep a cluster the suite created: never, on-failure or always",
        kind="choice",
        default="never",
        env="BOTKUBE_KEEP",
        choices=("never", "on-failure", "always"),
    ),
    Option(
        "artifacts",
        "--botkube-artifacts",
        "where failed tests leave agent logs, healthz, events, Helm values and pod descriptions",
        kind="path",
        default="botkube-artifacts",
        env="BOTKUBE_ARTIFACTS",
        metavar="DIR",
    ),
    Option(
        "kind",
        "--botkube-kind",
        "kind executable (default: kind on PATH, else a pinned download)",
        env="BOTKUBE_KIND",
        metavar="PATH",
        check=check_tool_path,
    ),
    Option(
        "helm",
        "--botkube-helm",
        "helm executable (default: helm on PATH, else a pinned download)",
        env="BOTKUBE_HELM",
        metavar="PATH",
        check=check_tool_path,
    ),
    Option(
        "docker",
        "--botkube-docker",
        "docker executable (default: docker on PATH)",
        env="BOTKUBE_DOCKER",
        metavar="PATH",
        check=check_tool_path,
    ),
    Option(
        "no_download",
        "--botkube-no-download",
        "never download pinned kind/helm when they are not on PATH",
        kind="bool",
        default=False,
        env="BOTKUBE_NO_DOWNLOAD",
    ),
    Option(
        "health_interval",
        "--botkube-health-interval",
        "plugins.healthCheckInterval installed with every release (a Go duration, >= 1s)",
        default="3s",
        env="BOTKUBE_HEALTH_INTERVAL",
        metavar="DURATION",
        check=_check_health_interval,
    ),
    Option(
        "restart_threshold",
        "--botkube-restart-threshold",
        "plugins.restartPolicy.threshold installed with every release",
        kind="int",
        default=3,
        env="BOTKUBE_RESTART_THRESHOLD",
        metavar="N",
    ),
    Option(
        "plugin_index",
        "--botkube-plugin-index",
        "plugins.repositories.botkube.url (a self-hosted plugin index for air-gapped runs)",
        env="BOTKUBE_PLUGIN_INDEX",
        metavar="URL",
    ),
    Option(
        "receiver_bind",
        "--botkube-receiver-bind",
        "address the webhook receiver binds (default: kind network gateway / 127.0.0.1)",
        env="BOTKUBE_RECEIVER_BIND",
        metavar="ADDR",
    ),
    Option(
        "receiver_host",
        "--botkube-receiver-host",
        "host the agent uses to reach the receiver (default: detected)",
        env="BOTKUBE_RECEIVER_HOST",
        metavar="HOST",
    ),
    Option(
        "receiver_port",
        "--botkube-receiver-port",
        "receiver port; 0 takes a free one",
        kind="int",
        default=0,
        env="BOTKUBE_RECEIVER_PORT",
        metavar="PORT",
        check=_check_port,
    ),
    Option(
        "pull_timeout",
        "--botkube-pull-timeout",
        "seconds for `docker pull` of the kind node image (before, not inside, the create)",
        kind="float",
        default=600.0,
        metavar="S",
    ),
    Option(
        "cluster_timeout",
        "--botkube-cluster-timeout",
        "seconds for `kind create cluster --wait`",
        kind="float",
        default=300.0,
        metavar="S",
    ),
    Option(
        "install_timeout",
        "--botkube-install-timeout",
        "seconds for `helm upgrade --install --wait --timeout`",
        kind="float",
        default=300.0,
        metavar="S",
    ),
    Option(
        "start_timeout",
        "--botkube-start-timeout",
        "seconds to wait for the agent pod and the kubernetes plugin to start",
        kind="float",
        default=120.0,
        metavar="S",
    ),
    Option(
        "start_grace",
        "--botkube-start-grace",
        "seconds between seeing the plugin start and creating the workload (BotKube ignores "
        "objects and Events older than its start)",
        kind="float",
        default=3.0,
        env="BOTKUBE_START_GRACE",
        metavar="S",
    ),
    Option(
        "event_timeout",
        "--botkube-event-timeout",
        "seconds to wait for the HPA rescale and for each expected delivery",
        kind="float",
        default=90.0,
        metavar="S",
    ),
    Option(
        "health_timeout",
        "--botkube-health-timeout",
        "seconds to wait for the plugin to reach its expected status",
        kind="float",
        default=120.0,
        metavar="S",
    ),
    Option(
        "quiet_window",
        "--botkube-quiet-window",
        "seconds during which deliveries that must not arrive are watched for",
        kind="float",
        default=20.0,
        metavar="S",
    ),
    Option(
        "teardown_timeout",
        "--botkube-teardown-timeout",
        "seconds for `helm uninstall --wait` and for the namespace deletion",
        kind="float",
        default=120.0,
        metavar="S",
    ),
    Option(
        "no_preflight",
        "--botkube-no-preflight",
        "skip the checks before the cluster (chart, plugin index, image registry reachable), "
        "e.g. for an air-gapped run with everything preloaded",
        kind="bool",
        default=False,
        env="BOTKUBE_NO_PREFLIGHT",
    ),
    Option(
        "step_summary",
        "--botkube-step-summary",
        "append the verdict table (observed beside the model's prediction) as Markdown to FILE "
        'at the end, e.g. "$GITHUB_STEP_SUMMARY" in a GitHub Actions job',
        kind="path",
        metavar="FILE",
    ),
    Option(
        "require_cluster",
        "--botkube-require-cluster",
        "fail instead of skip when Docker, kind, helm or the cluster are unavailable (for CI)",
        kind="bool",
        default=False,
        env="BOTKUBE_REQUIRE_CLUSTER",
    ),
)

BY_NAME = {option.name: option for option in OPTIONS}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ValueError):
    """A setting's value cannot be used; the message names where it came from."""


def _to_bool(raw: str, where: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{where}: expected yes/no, got {shown(raw)}")


def convert(option: Option, raw: Any, where: str) -> Any:
    """Turn a raw string (or the CLI's already-typed value) into the setting's type, and run
    the option's check: every front-end refuses a bad value before touching the machine."""
    value = _convert(option, raw, where)
    if option.check is not None and value is not None:
        from pytest_botkube.errors import BadInput

        try:
            option.check(value)
        except (ValueError, BadInput) as exc:
            raise SettingError(f"{where}: {exc}") from None
    return value


def _convert(option: Option, raw: Any, where: str) -> Any:
    if raw is None:
        return None
    if option.kind == "bool":
        return raw if isinstance(raw, bool) else _to_bool(str(raw), where)
    if option.kind == "list":
        items = raw if isinstance(raw, list) else [raw]
        out: list[str] = []
        for item in items:
            out.extend(part.strip() for part in str(item).replace("\n", ",").split(","))
        return tuple(part for part in out if part)
    if option.kind in ("float", "int"):
        try:
            number: float = float(raw) if option.kind == "float" else int(raw)
        except (TypeError, ValueError):
            raise SettingError(f"{where}: expected a number, got {shown(raw)}") from None
        if number < 0 or number != number:  # NaN
            raise SettingError(f"{where}: must be >= 0, got {shown(raw)}")
        return number
    if option.kind == "path":
        return Path(str(raw)).expanduser()
    text = str(raw).strip()
    if option.kind == "choice" and text not in option.choices:
        raise SettingError(
            f"{where}: expected one of {', '.join(option.choices)}, got {shown(raw)}"
        )
    return text or None


def given(
    option: Option, cli_value: Any, cli_where: str, environ: Mapping[str, str]
) -> tuple[Any, str] | None:
    """The raw value from the command line, else from the option's environment variable (when
    set and not empty), with where it came from for :func:`convert`; None when neither is."""
    if cli_value is not None:
        return cli_value, cli_where
    if option.env and environ.get(option.env):
        return environ[option.env], f"environment variable {option.env}"
    return None


def turned_on_by(name: str, environ: Mapping[str, str]) -> str:
    """What made a yes/no setting yes, for a message: its environment variable when that says
    yes (``BOTKUBE_NO_PREFLIGHT=1``), else the flag (pytest: or its ini key)."""
    option = BY_NAME[name]
    raw = environ.get(option.env or "", "") if option.env else ""
    if raw and raw.strip().lower() in _TRUE:
        return f"{option.env}={raw.strip()}"
    return option.flag


def cli_flag(option: Option) -> str:
    """``--botkube-keep`` as ``botkube-repro run`` spells it: ``--keep``."""
    return "--" + option.flag.removeprefix("--botkube-")


def flag_names(name: str) -> str:
    """The flag for messages, spelled as pytest takes it; ``botkube-repro run`` rewrites it to
    its own spelling (:func:`run_spelling`) before a run user sees it."""
    return BY_NAME[name].flag


_FLAG = re.compile(r"--botkube-[a-z0-9-]+")


def run_spelling(text: str, names: Collection[str]) -> str:
    """``text`` for a ``botkube-repro run`` user: each ``--botkube-X`` of a setting in
    ``names`` (the ones ``run`` offers) as ``run`` spells it, ``--X``. Other flags stay."""
    flags = {BY_NAME[name].flag: cli_flag(BY_NAME[name]) for name in names}
    return _FLAG.sub(lambda m: flags.get(m.group(), m.group()), text)


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and resolved (relative paths already anchored where they were
    written). One field per row of :data:`OPTIONS`, no defaults of its own: build it with
    :func:`build_settings` or :meth:`defaults`."""

    scenario: tuple[str, ...] | None
    values: Path | None
    version: str | None
    chart: str | None
    image: str | None
    cluster_mode: str
    cluster_name: str
    kubeconfig: Path | None
    context: str | None
    node_image: str | None
    keep: str
    artifacts: Path
    kind: str | None
    helm: str | None
    docker: str | None
    no_download: bool
    health_interval: str
    restart_threshold: int
    plugin_index: str | None
    receiver_bind: str | None
    receiver_host: str | None
    receiver_port: int
    pull_timeout: float
    cluster_timeout: float
    install_timeout: float
    start_timeout: float
    start_grace: float
    event_timeout: float
    health_timeout: float
    quiet_window: float
    teardown_timeout: float
    no_preflight: bool
    step_summary: Path | None
    require_cluster: bool

    @classmethod
    def defaults(cls, **changes: Any) -> Settings:
        """The table's defaults, with ``changes`` (already typed) on top."""
        values = {option.name: default_of(option) for option in OPTIONS}
        unknown = sorted(set(changes) - set(values))
        if unknown:
            raise TypeError(f"unknown setting(s) {', '.join(unknown)}")
        return cls(**{**values, **changes})


def default_of(option: Option) -> Any:
    """The option's default in its type (a path default is relative: anchor it)."""
    # Unchecked: the table's own defaults are right by construction, and a check may import a
    # module that imports this one.
    return _convert(option, option.default, f"default of {option.flag}")


def _anchored(value: Any, base: Path | None) -> Any:
    """A relative path setting is relative to where it was written down."""
    if base is not None and isinstance(value, Path) and not value.is_absolute():
        return base / value
    return value


def build_settings(
    *,
    command_line: Mapping[str, Any],
    environ: Mapping[str, str],
    ini: Mapping[str, Any] | None = None,
    spell: Callable[[Option], str] = lambda option: option.flag,
    invocation_dir: Path,
    ini_dir: Path | None = None,
    default_dir: Path | None = None,
    options: Iterable[Option] = OPTIONS,
) -> Settings:
    """Resolve ``options`` (the rest keep their defaults): the command line (``command_line``:
    option name -> raw value or None; spelled by ``spell`` in messages), else the environment
    variable, both relative to ``invocation_dir``; else the ini key (``ini``: option name -> raw
    value, "" or [] = unset), relative to ``ini_dir``; else the default, relative to
    ``default_dir``. Raises :class:`SettingError` naming the flag, variable or key."""
    values: dict[str, Any] = {}
    for option in options:
        found = given(option, command_line.get(option.name), spell(option), environ)
        raw_ini = (ini or {}).get(option.name)
        if found is not None:
            value = _anchored(convert(option, *found), invocation_dir)
        elif raw_ini not in (None, "", []):
            value = _anchored(convert(option, raw_ini, f"ini key {option.ini}"), ini_dir)
        else:
            value = _anchored(default_of(option), default_dir)
        values[option.name] = value
    return Settings.defaults(**values)


def _check_table() -> None:
    """A row without a field (or a field without a row) fails at import, naming it."""
    typed = {f.name for f in fields(Settings)}
    table = {option.name for option in OPTIONS}
    if typed != table:
        raise RuntimeError(
            "pytest_botkube.settings: OPTIONS rows without a Settings field: "
            f"{sorted(table - typed)}; Settings fields without a row: {sorted(typed - table)}"
        )


_check_table()

#: The table's defaults, typed: what code that needs "the default" reads.
DEFAULTS = Settings.defaults()
