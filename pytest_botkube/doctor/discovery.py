"""Which Deployment is BotKube, which container is the agent, and which version it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_botkube.doctor.reader import AccessDenied, BotkubeNotFound, ClusterReader
from pytest_botkube.errors import BadInput
from pytest_botkube.model.images import parse_image

# The chart (helm/botkube/templates/deployment.yaml, v1.13.0 and v1.14.0) hard-codes these two
# labels on the Deployment and its selector, whatever nameOverride says.
CHART_SELECTOR = "app=botkube,component=controller"
RELEASE_LABEL = "app.kubernetes.io/instance"
CHART_LABEL = "helm.sh/chart"
CONTAINER_NAME = "botkube"  # the chart names the container after the chart
CONVENTIONAL_NAMESPACE = "botkube"  # the namespace every upstream install guide uses


@dataclass(frozen=True)
class Target:
    """The BotKube Deployment the doctor examines."""

    namespace: str
    name: str
    deployment: dict[str, Any]

    @property
    def release(self) -> str | None:
        labels = self.deployment.get("metadata", {}).get("labels") or {}
        value = labels.get(RELEASE_LABEL)
        return str(value) if value else None


def chart_fullname(release: str) -> str:
    """The chart's ``botkube.fullname`` without overrides: the release name if it already
    contains ``botkube``, else ``<release>-botkube``."""
    return release if "botkube" in release else f"{release}-botkube"


def meta_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def find_botkube(reader: ClusterReader, namespace: str | None, release: str | None) -> Target:
    """Find exactly one BotKube Deployment, by the chart's labels, then by the release's name."""
    selector = CHART_SELECTOR + (f",{RELEASE_LABEL}={release}" if release else "")
    found: list[dict[str, Any]] = []
    if namespace is not None:
        namespaces = [namespace]
        found = reader.list_deployments(namespace, selector)
        scope = f"namespace {namespace}"
    else:
        try:
            found = reader.list_deployments(None, selector)
            namespaces = []
            scope = "all namespaces"
        except AccessDenied as denied:
            # A namespaced Role cannot list across namespaces: try where BotKube usually lives.
            namespaces = _likely_namespaces(reader)
            scope = "namespace " + " and ".join(namespaces)
            scope += " (listing Deployments in all namespaces is forbidden)"
            denials: list[AccessDenied] = []
            for ns in namespaces:
                try:
                    found.extend(reader.list_deployments(ns, selector))
                except AccessDenied as exc:
                    denials.append(exc)
            if len(denials) == len(namespaces):
                raise denials[0] if denials else denied from None
    looked_for = f"Deployments labelled {selector} in {scope}"
    if not found and release:
        # Not labelled like the chart (a fork, a kustomized copy): try the chart's name for it.
        name = chart_fullname(release)
        where = namespaces or _likely_namespaces(reader)
        for ns in where:
            deployment = reader.get_deployment(ns, name)
            if deployment is not None:
                found.append(deployment)
        looked_for += f", and a Deployment named {name} in namespace {' and '.join(where)}"
    if not found:
        hint = "" if namespace else "; pass --namespace if BotKube runs elsewhere"
        raise BotkubeNotFound(f"no BotKube found in {reader.where}: looked for {looked_for}{hint}")
    if len(found) > 1:
        names = ", ".join("/".join(meta_of(d)) for d in found)
        raise BadInput(
            f"found {len(found)} BotKube Deployments ({names}); choose one with --namespace "
            "and --release"
        )
    ns, name = meta_of(found[0])
    return Target(namespace=ns or (namespace or ""), name=name, deployment=found[0])


def _likely_namespaces(reader: ClusterReader) -> list[str]:
    """The kubeconfig context's namespace, then the one every upstream guide installs into."""
    return list(dict.fromkeys(filter(None, [reader.default_namespace(), CONVENTIONAL_NAMESPACE])))


def botkube_container(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The agent container: named ``botkube`` by the chart, else the one running its image."""
    containers: list[dict[str, Any]] = (
        deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
    )
    for container in containers:
        if container.get("name") == CONTAINER_NAME:
            return container
    for container in containers:
        if "kubeshop/botkube" in str(container.get("image", "")):
            return container
    if len(containers) == 1:
        return containers[0]
    ns, name = meta_of(deployment)
    raise BotkubeNotFound(
        f"Deployment {ns}/{name} has no container named {CONTAINER_NAME!r} nor one running "
        "a kubeshop/botkube image"
    )


def image_tag(image: str) -> str | None:
    """``ghcr.io/kubeshop/botkube:v1.13.0@sha256:...`` -> ``v1.13.0``; no tag -> ``None``."""
    return parse_image(image).tag


def running_version(deployment: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
    """The BotKube version the agent runs: its image tag, else the chart label's version."""
    tag = image_tag(str(container.get("image", "")))
    if tag:
        return tag
    labels = deployment.get("metadata", {}).get("labels") or {}
    chart = str(labels.get(CHART_LABEL, ""))
    if chart.startswith("botkube-"):
        return chart.removeprefix("botkube-").replace("_", "+")
    return None


def match_labels(deployment: Mapping[str, Any]) -> str:
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
