"""``botkube-repro values``: print the Helm values the suite installs for a scenario or a file.

The e2e suite calls the same :func:`pytest_botkube.helm_values.release_values` (on the same
typed :class:`~pytest_botkube.settings.Settings`, defaults from the one settings table) and
:func:`~pytest_botkube.helm_values.values_yaml`, so what this prints is what a run installs (given
the same receiver URL, index URL and image), ready to ``diff`` or ``helm template -f``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import (
    release_stem,
    release_values,
    values_yaml,
)
from pytest_botkube.model.semantics import analyze, live_run_caveats
from pytest_botkube.redact import redact_values
from pytest_botkube.scenario import (
    SCENARIO_SUFFIXES,
    Scenario,
    adhoc_scenario,
    find_scenario,
    looks_like_scenario,
    normalize_version,
)
from pytest_botkube.settings import BY_NAME, SettingError, build_settings, cli_flag
from pytest_botkube.yamlio import load_yaml

HELP = "print the exact Helm values the suite installs for a scenario or a values file"

#: The settings ``values`` takes from the one table, spelled as ``botkube-repro run`` spells
#: them (``--health-interval``, ``--plugin-index``; pytest: ``--botkube-...``) and converted and
#: checked by the table, so one setting has one name and one rule in every command.
SETTINGS = ("cluster_name", "health_interval", "restart_threshold", "plugin_index")
#: What ``values`` called two of them before (still accepted, hidden from --help).
OLD_SPELLINGS = {
    "health_interval": "--health-check-interval",
    "plugin_index": "--plugin-index-url",
}
#: Where ``values`` says more than the table (the table's text is about a run).
HELP_FOR = {
    "cluster_name": "settings.clusterName in the values (a run puts its kind cluster's name)"
}

EXIT_CODES = {0: "the values were printed"}

#: Stands in for the suite's receiver, whose address is only known during a run.
PLACEHOLDER_RECEIVER_URL = "http://botkube-repro-receiver.invalid:8080/"


def add_target_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``target`` of ``values`` and ``run``, resolved by :func:`resolve_target`."""
    parser.add_argument(
        "target",
        metavar="SCENARIO|VALUES_FILE",
        help="a scenario name (see scenarios/), a scenario file, or a Helm values file",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_argument(parser)
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print credentials the run needs (a private plugin index's headers, a proxy) as "
        "they are; by default they are <redacted>",
    )
    parser.add_argument(
        "--receiver-url",
        default=PLACEHOLDER_RECEIVER_URL,
        help="webhook URL of the suite's receiver (default: a placeholder; a run fills in its own)",
    )
    parser.add_argument(
        "--botkube-version",
        metavar="V",
        help="BotKube version to run a values file on (required for a values file), e.g. v1.13.0",
    )
    parser.add_argument(
        "--release-name",
        metavar="NAME",
        help=(
            "the Helm release (and namespace) the values are for; it names the chart's "
            "cluster-scoped RBAC objects. A run uses bk-<scenario>-<random>, recorded in its "
            "artifacts (default: bk-<scenario>)"
        ),
    )
    for name in SETTINGS:
        option = BY_NAME[name]
        parser.add_argument(
            cli_flag(option),
            dest=name,
            metavar=option.metavar,
            help=replace(option, help=HELP_FOR.get(name, option.help)).described,
        )
        if name in OLD_SPELLINGS:  # still accepted, not shown
            parser.add_argument(OLD_SPELLINGS[name], dest=name, help=argparse.SUPPRESS)
    parser.add_argument(
        "--image",
        metavar="REPO[:TAG]",
        help="BotKube image to run instead of the chart's, e.g. localhost/botkube:fix-1474 "
        "(no tag: latest, as for docker pull)",
    )


def resolve_target(target: str, botkube_version: str | None) -> Scenario:
    """A scenario by name or file, or a values file run ad hoc on ``botkube_version``."""
    path = Path(target)
    if not path.exists():
        if botkube_version is not None:
            raise BadInput(
                f"{target}: no such values file (--botkube-version applies to a values file)"
            )
        return find_scenario(target)
    data = load_yaml(path).data if path.suffix in SCENARIO_SUFFIXES else None
    if looks_like_scenario(data):
        if botkube_version is not None:
            raise BadInput(
                f"{target}: a scenario pins its own BotKube version; drop --botkube-version"
            )
        return find_scenario(path)
    if botkube_version is None:
        raise BadInput(
            f"{target}: looks like a Helm values file; pass --botkube-version V (e.g. v1.13.0), "
            "the BotKube version it is for: a values file does not say"
        )
    try:
        version = normalize_version(botkube_version)
    except BadInput as exc:
        raise BadInput(f"--botkube-version: {exc}") from None
    return adhoc_scenario(path, version)


def run(args: argparse.Namespace) -> int:
    scenario = resolve_target(args.target, args.botkube_version)
    try:
        table = build_settings(
            command_line={name: getattr(args, name) for name in SETTINGS},
            environ={},  # `values` prints what its command line says, never the environment
            spell=cli_flag,
            invocation_dir=Path.cwd(),
            options=[BY_NAME[name] for name in SETTINGS],
        )
    except SettingError as exc:
        raise BadInput(str(exc)) from None
    settings = replace(table, image=args.image)
    try:
        values = release_values(
            scenario,
            settings,
            receiver_url=args.receiver_url,
            cluster_name=settings.cluster_name,
            release_name=args.release_name or release_stem(scenario.name),
        )
    except ValueError as exc:  # an image the chart cannot take
        raise BadInput(f"--image {exc}") from None
    shown = values if args.show_secrets else redact_values(values)
    sys.stdout.write(values_yaml(shown))
    for line in live_run_caveats(analyze(values, scenario.botkube_version)):
        sys.stderr.write(f"note: {line}\n")
    return 0
