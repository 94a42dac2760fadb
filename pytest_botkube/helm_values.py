"""The Helm values the suite installs: a scenario's overlay merged onto the suite's base values.

``botkube-repro values`` prints exactly what :func:`build_values` returns and the e2e suite
installs exactly that, so a maintainer can diff or ``helm template`` what a run used.

Merge rules (those Helm applies to ``-f`` files): mappings merge key by key, recursively; lists
and scalars replace; an explicit ``null`` is kept, so Helm still deletes the chart default it
names. Layers, later wins:

1. suite defaults a scenario may change: ``plugins.restartPolicy.type: DeactivatePlugin``;
2. the scenario's overlay, as the user wrote it;
3. what the suite owns, so every run is observable and self-contained:
   ``settings.clusterName``, ``settings.upgradeNotifier: false``, ``analytics.disable: true``,
   ``plugins.healthCheckInterval``, ``plugins.restartPolicy.threshold``, the webhook in
   ``communications.default-group`` (enabled, pointed at the receiver, bound to the scenario's
   bound kubernetes sources), every other platform in every group ``enabled: false`` (no chat
   platform is ever contacted, whatever a user's file enables), ``existingCommunicationsSecretName``
   and ``config.provider.identifier`` emptied (either would make the chart skip the config this
   module writes), ``LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES=debug`` kept in ``extraEnv`` (a user's
   ``extraEnv`` list would otherwise replace the chart's and hide the plugin's panic trace), and
   the agent's liveness budget (``deployment.livenessProbe``: see :func:`liveness_probe`), and
   the optional plugin index URL and image override;
4. the chart's own default sources (``k8s-all-events`` ...) that the scenario neither defines nor
   binds are switched off, so the plugin process runs exactly the scenario's sources. Unbound
   sources would not start anyway; switching them off also makes ``/healthz`` say so;
5. with a ``release_name``, every cluster-scoped object the chart creates gets a name of that
   release's own, so releases run side by side in one cluster (pytest-xdist). The chart names
   the main ClusterRole/ClusterRoleBinding after the release (``fullnameOverride`` would pin
   them, so it is dropped), but creates one ClusterRole + ClusterRoleBinding *per entry of
   ``rbac.groups``* (and for the deprecated ``rbac.staticGroupName``) named after the group
   itself: ``botkube-plugins-default`` in every release. Each such group ``G`` is installed as
   ``RELEASE-G`` (``G: null`` removes the chart's key; an overlay's own key is left out, since
   Helm would keep its null and the template fail on it), and every plugin
   ``context.rbac.group`` of type ``Static`` that impersonates ``G`` (its ``prefix`` + one of
   its ``static.values``) is pointed at ``RELEASE-G`` instead: the plugin's kubeconfig
   impersonates exactly those groups (upstream ``pkg/plugin/kubeconfig.go``), so it keeps the
   same rules under the new name. Groups the chart does not create (bound outside the chart)
   and ``ChannelName`` subjects are left as written, and so are the contexts of plugins this
   run never starts with a kubeconfig: chart sources switched off by rule 4 and the chart's
   executors the overlay does not configure (an executor runs only on a chat command, and
   every chat platform is off).

Which sources are bound to the webhook: the active ``botkube/kubernetes`` sources, by the one
rule ``lint`` and the scenario loader use too (``model.config.active_kubernetes_sources``): the
plugin is enabled once the file is coalesced onto the chart, and an enabled platform or action
binds the source (with no ``communications`` key at all, a partial overlay: every source the
overlay defines). Other source plugins stay unbound and never start.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import yaml

from pytest_botkube.errors import BadInput
from pytest_botkube.model.config import (
    CHART_DEFAULT_CONTEXT,
    CHART_DEFAULT_SOURCE_NAMES,
    active_kubernetes_sources,
)
from pytest_botkube.model.durations import check_health_interval
from pytest_botkube.model.images import chart_image, parse_image
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.scenario import Scenario, thaw
from pytest_botkube.settings import DEFAULTS, Settings

# The kind cluster and BotKube's settings.clusterName share one default name.
DEFAULT_CLUSTER_NAME: str = DEFAULTS.cluster_name  # the settings table's
KUBERNETES_PLUGIN = "botkube/kubernetes"
DEBUG_ENV_NAME = "LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES"
WEBHOOK_GROUP = "default-group"

#: Platforms the chart defines under ``communications.default-group`` besides ``webhook``.
CHART_DEFAULT_PLATFORMS = ("socketSlack", "mattermost", "discord", "elasticsearch")

#: The chart's ``rbac.groups`` (same from v1.10.0 to v1.14.0): a ClusterRole and a
#: ClusterRoleBinding named ``botkube-plugins-default`` (templates/rbac-groups.yaml).
CHART_DEFAULT_RBAC_GROUPS: dict[str, Any] = {
    "botkube-plugins-default": {
        "create": True,
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "watch", "list"]}],
    }
}

#: The agent's liveness budget the suite installs, in seconds: the default ``helm --wait``
#: budget (``--botkube-install-timeout``). The chart's own (v1.4.0 to v1.14.0: every 2 s, 35
#: failures, so ~70 s; v1.1.0 to v1.3.0: 15 s x 5) is shorter than a slow plugin download:
#: /healthz answers only once the plugins were fetched and started, so the kubelet would kill
#: a healthy agent that is still downloading, and the run would fail for the wrong reason.
DEFAULT_LIVENESS_BUDGET: float = DEFAULTS.install_timeout
LIVENESS_PERIOD_SECONDS = 2


def liveness_probe(budget_seconds: float) -> dict[str, int]:
    """``deployment.livenessProbe`` keys giving the agent ``budget_seconds`` before the kubelet
    restarts it: the period is set too (the chart's default differs between versions), and
    the threshold never drops below the chart's 35."""
    threshold = max(35, math.ceil(budget_seconds / LIVENESS_PERIOD_SECONDS))
    return {"periodSeconds": LIVENESS_PERIOD_SECONDS, "failureThreshold": threshold}


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of two values files, as a new structure: neither input is touched."""
    out = cast(dict[str, Any], thaw(base))
    for key, value in overlay.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = thaw(value)
    return out


def webhook_bindings(overlay: Mapping[str, Any], botkube_version: str | None = None) -> list[str]:
    """The source aliases the suite binds to its webhook: the active kubernetes sources, by the
    model's one rule (:func:`pytest_botkube.model.config.active_kubernetes_sources`)."""
    version = botkube_version or KNOWN_BOTKUBE_VERSIONS[-1]  # only PagerDuty's bindings differ
    return list(active_kubernetes_sources(overlay, version))


def _extra_env(overlay: Mapping[str, Any]) -> list[Any]:
    current = overlay.get("extraEnv")
    env = [thaw(e) for e in current] if isinstance(current, list) else []
    # A secret-named variable (BOTKUBE_COMMUNICATIONS_..._TOKEN) configures a platform the suite
    # disables: it is not installed. Others (a proxy, log levels) are kept.
    env = [
        e
        for e in env
        if not (isinstance(e, Mapping) and (e.get("name") == DEBUG_ENV_NAME or _secret_env(e)))
    ]
    return [*env, {"name": DEBUG_ENV_NAME, "value": "debug"}]


_NOT_IN_A_DNS_LABEL = re.compile(r"[^a-z0-9-]+")


def release_stem(scenario_name: str) -> str:
    """``crash-v1.13.0`` -> ``bk-crash-v1-13-0``: the release (and namespace) name a run gives a
    scenario, before the run's random suffix (``botkube-repro values`` uses it as it is)."""
    return "bk-" + _NOT_IN_A_DNS_LABEL.sub("-", scenario_name.lower()).strip("-")


#: The random suffix a run appends to :func:`release_stem` (``secrets.token_hex(3)``).
RELEASE_SUFFIX_HEX = 6
RELEASE_NAME_LIMIT = 53  # Helm's limit for a release name


def release_prefix(scenario_name: str, limit: int = RELEASE_NAME_LIMIT) -> str:
    """:func:`release_stem` cut so that ``PREFIX-<suffix>`` fits ``limit``: every run's release
    and namespace name is this prefix, a dash and :data:`RELEASE_SUFFIX_HEX` hex digits."""
    return release_stem(scenario_name)[: max(4, limit - RELEASE_SUFFIX_HEX - 1)].strip("-")


def run_namespace_pattern(scenario_name: str) -> str:
    """A ``namespaces.include`` entry (a Go regexp) that the namespace of every run of the
    scenario passes, its ``--compare`` and ``--with-workaround`` runs included (labelled
    ``NAME@v1.14.0``, ``NAME+workaround``, so their names start with the same prefix):
    ``^bk-crash-v1-13-0-``. Names contain only ``[a-z0-9-]``, so nothing needs escaping."""
    return f"^{release_prefix(scenario_name)}-"


def _secret_env(entry: Mapping[str, Any]) -> bool:
    from pytest_botkube.redact import is_secret_key

    return "value" in entry and is_secret_key(entry.get("name"))


def release_group(release_name: str, group: str) -> str:
    """The name a chart-created RBAC group gets in one release (ClusterRole names allow 253)."""
    return f"{release_name}-{group}"


def _created_groups(merged: Mapping[str, Any]) -> dict[str, Any]:
    """Groups the chart will create a ClusterRole/ClusterRoleBinding for, with their bodies:
    ``rbac.groups`` entries with ``create: true`` (chart's merged with the overlay's), and the
    deprecated ``rbac.staticGroupName`` (with ``rbac.rules``) when ``rbac.create`` is on."""
    rbac = merged.get("rbac")
    rbac = rbac if isinstance(rbac, Mapping) else {}
    groups = rbac.get("groups")
    groups = deep_merge(CHART_DEFAULT_RBAC_GROUPS, groups if isinstance(groups, Mapping) else {})
    created: dict[str, Any] = {
        str(name): body
        for name, body in groups.items()
        if isinstance(body, Mapping) and body.get("create")
    }
    static = rbac.get("staticGroupName")
    if static and rbac.get("create", True):
        created[str(static)] = None  # the chart builds its body from rbac.rules
    return created


def _plugin_contexts(
    merged: Mapping[str, Any], bound: Iterable[str]
) -> Iterable[tuple[str, str, str, Mapping[str, Any]]]:
    """(section, alias, plugin, effective context) of every plugin that may run with a
    kubeconfig: each plugin the overlay configures, and the chart's default sources it binds
    (their context comes from the chart)."""
    bound = set(bound)
    for section in ("sources", "executors"):
        entries = merged.get(section)
        for alias, body in (entries if isinstance(entries, Mapping) else {}).items():
            if not isinstance(body, Mapping):
                continue
            for plugin, conf in body.items():
                if not isinstance(conf, Mapping):
                    continue
                context = conf.get("context")
                context = context if isinstance(context, Mapping) else {}
                chart_default = (
                    section == "sources"
                    and alias in CHART_DEFAULT_SOURCE_NAMES
                    and plugin == KUBERNETES_PLUGIN
                )
                if chart_default:
                    context = deep_merge(CHART_DEFAULT_CONTEXT, context)
                if context or (chart_default and alias in bound):
                    yield section, str(alias), str(plugin), context
    sources = merged.get("sources")
    sources = sources if isinstance(sources, Mapping) else {}
    for alias in CHART_DEFAULT_SOURCE_NAMES:
        if alias in bound and alias not in sources:
            yield "sources", alias, KUBERNETES_PLUGIN, CHART_DEFAULT_CONTEXT


def release_rbac(
    merged: Mapping[str, Any], bound: Iterable[str], release_name: str
) -> dict[str, Any]:
    """Values that give the chart's cluster-scoped RBAC objects names of this release's own
    (rule 5 of the module docstring): ``rbac`` plus the rewritten plugin contexts."""
    created = _created_groups(merged)
    if not created:
        return {}
    rbac_merged = merged.get("rbac") if isinstance(merged.get("rbac"), Mapping) else {}
    static = rbac_merged.get("staticGroupName") if rbac_merged else None
    groups: dict[str, Any] = {}
    for name, body in created.items():
        if body is None:
            continue  # staticGroupName: renamed below
        if name in CHART_DEFAULT_RBAC_GROUPS:
            groups[name] = None  # Helm deletes a chart default set to null
        groups[release_group(release_name, name)] = thaw(body)
    rbac: dict[str, Any] = {"groups": groups}
    if static and str(static) in created:
        rbac["staticGroupName"] = release_group(release_name, str(static))
    out: dict[str, Any] = {"rbac": rbac}
    for section, alias, plugin, context in _plugin_contexts(merged, bound):
        group = (
            context.get("rbac", {}).get("group")
            if isinstance(context.get("rbac"), Mapping)
            else None
        )
        if not isinstance(group, Mapping) or group.get("type") != "Static":
            continue
        prefix = str(group.get("prefix") or "")
        static_values = (group.get("static") or {}).get("values")
        if not isinstance(static_values, list):
            continue
        subjects = [f"{prefix}{value}" for value in static_values]
        if not any(subject in created for subject in subjects):
            continue
        renamed = [
            release_group(release_name, subject) if subject in created else subject
            for subject in subjects
        ]
        target = out.setdefault(section, {}).setdefault(alias, {}).setdefault(plugin, {})
        target["context"] = {
            "rbac": {"group": {"type": "Static", "prefix": "", "static": {"values": renamed}}}
        }
    return out


def build_values(
    scenario_or_overlay: Scenario | Mapping[str, Any],
    *,
    receiver_url: str,
    cluster_name: str = DEFAULT_CLUSTER_NAME,
    health_check_interval: str = DEFAULTS.health_interval,
    restart_threshold: int = DEFAULTS.restart_threshold,
    plugin_index_url: str | None = None,
    image: tuple[str, str] | None = None,
    release_name: str | None = None,
    liveness_budget: float = DEFAULT_LIVENESS_BUDGET,
) -> dict[str, Any]:
    """The complete values file for one run; see the module docstring for every rule."""
    if isinstance(scenario_or_overlay, Scenario):
        overlay = scenario_or_overlay.overlay()
    elif isinstance(scenario_or_overlay, Mapping):
        overlay = cast(dict[str, Any], thaw(scenario_or_overlay))
    else:
        raise TypeError(f"expected a Scenario or a mapping, got {type(scenario_or_overlay)}")
    parsed = urlsplit(receiver_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BadInput(f"receiver URL {receiver_url!r}: expected http://HOST[:PORT][/PATH]")
    try:
        parsed.port  # noqa: B018  # raises on a port that is not a number in 0-65535
    except ValueError:
        raise BadInput(
            f"receiver URL {receiver_url!r}: expected a port number in 0-65535"
        ) from None
    if not cluster_name.strip():
        raise BadInput("cluster name must not be empty")
    try:
        check_health_interval(health_check_interval)
    except BadInput as exc:
        raise BadInput(f"health check interval {exc}") from None
    if isinstance(restart_threshold, bool) or restart_threshold < 0:
        raise BadInput(f"restart threshold {restart_threshold!r}: expected 0 or more")

    version = (
        scenario_or_overlay.botkube_version if isinstance(scenario_or_overlay, Scenario) else None
    )
    bindings = webhook_bindings(overlay, version)
    defaults: dict[str, Any] = {"plugins": {"restartPolicy": {"type": "DeactivatePlugin"}}}
    merged = deep_merge(defaults, overlay)

    groups: dict[str, Any] = {}
    communications = merged.get("communications")
    for name, group in (communications if isinstance(communications, Mapping) else {}).items():
        if isinstance(group, Mapping):
            groups[name] = {
                platform: {"enabled": False}
                for platform, body in group.items()
                if isinstance(body, Mapping) and (name, platform) != (WEBHOOK_GROUP, "webhook")
            }
    default_group = groups.setdefault(WEBHOOK_GROUP, {})
    for platform in CHART_DEFAULT_PLATFORMS:
        default_group[platform] = {"enabled": False}
    default_group["webhook"] = {
        "enabled": True,
        "url": receiver_url,
        "bindings": {"sources": bindings},
    }

    plugins: dict[str, Any] = {
        "healthCheckInterval": health_check_interval,
        "restartPolicy": {"threshold": restart_threshold},
    }
    if plugin_index_url is not None:
        plugins["repositories"] = {"botkube": {"url": plugin_index_url}}
    owned: dict[str, Any] = {
        "settings": {"clusterName": cluster_name, "upgradeNotifier": False},
        "analytics": {"disable": True},
        "communications": groups,
        "existingCommunicationsSecretName": "",
        "config": {"provider": {"identifier": ""}},
        "plugins": plugins,
        "deployment": {"livenessProbe": liveness_probe(liveness_budget)},
    }
    if image is not None:
        repo, tag = image
        if not repo or not tag:
            raise BadInput(f"image override {image!r}: expected a repository and a tag")
        ref = parse_image(repo)
        owned["image"] = {
            "registry": ref.registry,
            "repository": ref.repository,
            "tag": tag,
            "pullPolicy": "IfNotPresent",  # loaded into kind, never pulled
        }
    if release_name is not None:
        if not release_name.strip():
            raise BadInput("release name must not be empty")
        owned = deep_merge(owned, release_rbac(merged, bindings, release_name))
        owned["fullnameOverride"] = ""  # names derive from the (unique) release name
    result = deep_merge(merged, owned)
    # The platforms the suite disables keep nothing of the user's (tokens, passwords, webhook
    # URLs): a merge would carry them into the throwaway cluster and into `values`' output.
    result["communications"] = thaw(groups)
    provider = result.get("config", {}).get("provider")
    if isinstance(provider, dict):  # Botkube Cloud is off (identifier ""): its key goes too
        provider.pop("apiKey", None)
    if release_name is not None:
        # A group only the overlay defines is removed, not nulled: Helm keeps a null it cannot
        # match with a chart default, and the chart's template then fails on `nil.create`.
        groups = result.get("rbac", {}).get("groups")
        for name in _created_groups(merged) if isinstance(groups, dict) else ():
            if name not in CHART_DEFAULT_RBAC_GROUPS and name in groups:
                del groups[name]
    result["extraEnv"] = _extra_env(overlay)

    if not isinstance(result.get("sources"), Mapping):
        result["sources"] = {}
    sources = result["sources"]
    for alias in CHART_DEFAULT_SOURCE_NAMES:
        if alias not in bindings and alias not in sources:
            sources[alias] = {KUBERNETES_PLUGIN: {"enabled": False}}
    return result


class _PlainDumper(yaml.SafeDumper):
    """Never emits ``&id001`` anchors: the output is read by people and diffed."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the chart's values.yaml does.
        super().increase_indent(flow, False)


def release_values(
    scenario: Scenario,
    settings: Settings,
    *,
    receiver_url: str,
    cluster_name: str,
    release_name: str | None,
) -> dict[str, Any]:
    """:func:`build_values` with what the settings decide (health check interval, restart
    threshold, plugin index, image, the liveness budget = the install wait): what a run
    installs and ``botkube-repro values`` prints. ValueError for an image the chart cannot take.
    """
    return build_values(
        scenario,
        receiver_url=receiver_url,
        cluster_name=cluster_name,
        health_check_interval=settings.health_interval,
        restart_threshold=settings.restart_threshold,
        plugin_index_url=settings.plugin_index,
        image=chart_image(settings.image) if settings.image else None,
        release_name=release_name,
        # The agent may take as long to become ready as helm --wait waits for it.
        liveness_budget=settings.install_timeout,
    )


def values_yaml(values: Mapping[str, Any]) -> str:
    """Deterministic YAML: sorted keys, block style, no anchors, Unicode kept."""
    return yaml.dump(
        thaw(values),
        Dumper=_PlainDumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
