"""The scenario workload (manifests/workload.yaml): create it, wait for the rescale, read Events.

Creation happens through :class:`~pytest_botkube.live.kube.Kube` (POST deployments, POST
horizontalpodautoscalers), after the caller saw the kubernetes plugin start. The rescale is
awaited by polling the namespace's core Events for ``SuccessfulRescale`` on the HPA; every
Event whose involvedObject is one of the workload's objects (the Deployment, the HPA, and the
ReplicaSets and Pods named after the Deployment) becomes a
:class:`~pytest_botkube.model.events.Happening`, next to the two object creations.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_botkube.bundled import manifests_dir
from pytest_botkube.errors import BadInput
from pytest_botkube.live.kube import Kube, KubeError
from pytest_botkube.live.wait import wait_until
from pytest_botkube.model.apis import resource_type
from pytest_botkube.model.events import Happening

WORKLOAD_FILE = "workload.yaml"
RESCALE_REASON = "SuccessfulRescale"


def load_manifests(path: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Deployment, HPA) from the workload manifest."""
    source = path or manifests_dir() / WORKLOAD_FILE
    try:
        docs = [d for d in yaml.safe_load_all(source.read_text(encoding="utf-8")) if d]
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"{source}: cannot read the workload manifest: {exc}") from None
    by_kind = {d.get("kind"): d for d in docs if isinstance(d, dict)}
    deployment = by_kind.get("Deployment")
    hpa = by_kind.get("HorizontalPodAutoscaler")
    if deployment is None or hpa is None:
        raise BadInput(f"{source}: needs one Deployment and one HorizontalPodAutoscaler")
    return deployment, hpa


@dataclass
class Workload:
    namespace: str
    deployment: dict[str, Any]
    hpa: dict[str, Any]
    kube: Kube | None = None  # set by create()
    created: list[Happening] = field(default_factory=list)

    def _kube(self) -> Kube:
        if self.kube is None:
            raise RuntimeError("the workload was not created yet")
        return self.kube

    def wait_for_rescale(
        self, timeout: float, on_poll: Callable[[], object] | None = None
    ) -> Happening:
        return wait_for_rescale(self._kube(), self, timeout, on_poll)

    def happenings(self) -> list[Happening]:
        return happenings(self._kube(), self)

    @property
    def deployment_name(self) -> str:
        return str(self.deployment["metadata"]["name"])

    @property
    def hpa_name(self) -> str:
        return str(self.hpa["metadata"]["name"])

    @property
    def hpa_resource(self) -> str:
        return resource_type(str(self.hpa["apiVersion"]), "HorizontalPodAutoscaler")

    def owns(self, involved: dict[str, Any]) -> bool:
        """Is an Event's involvedObject one of this workload's objects?"""
        if involved.get("namespace", self.namespace) != self.namespace:
            return False
        name = str(involved.get("name", ""))
        kind = involved.get("kind")
        if kind == "HorizontalPodAutoscaler":
            return name == self.hpa_name
        if kind == "Deployment":
            return name == self.deployment_name
        if kind in ("ReplicaSet", "Pod"):
            return name.startswith(self.deployment_name + "-")
        return False


def prepare(namespace: str, manifest: Path | None = None) -> Workload:
    deployment, hpa = (copy.deepcopy(d) for d in load_manifests(manifest))
    for obj in (deployment, hpa):
        obj.setdefault("metadata", {})["namespace"] = namespace
    return Workload(namespace=namespace, deployment=deployment, hpa=hpa)


def create(kube: Kube, workload: Workload) -> None:
    """POST the Deployment, then the HPA; record both creations as happenings."""
    workload.kube = kube
    kube.create_deployment(workload.namespace, workload.deployment)
    workload.created.append(
        Happening(
            resource=resource_type(str(workload.deployment["apiVersion"]), "Deployment"),
            name=workload.deployment_name,
            namespace=workload.namespace,
            action="create",
        )
    )
    kube.create_hpa(workload.namespace, workload.hpa)
    workload.created.append(
        Happening(
            resource=workload.hpa_resource,
            name=workload.hpa_name,
            namespace=workload.namespace,
            action="create",
        )
    )


def _count(event: dict[str, Any]) -> int:
    count = event.get("count") or (event.get("series") or {}).get("count") or 1
    return int(count)


def event_happenings(workload: Workload, events: list[dict[str, Any]]) -> list[Happening]:
    """Core Events about the workload's objects, oldest first."""
    out: list[tuple[str, Happening]] = []
    for event in events:
        involved = event.get("involvedObject") or {}
        event_type = event.get("type")
        if not workload.owns(involved) or event_type not in ("Normal", "Warning"):
            continue
        when = str(
            event.get("lastTimestamp")
            or event.get("eventTime")
            or event.get("metadata", {}).get("creationTimestamp", "")
        )
        out.append(
            (
                when,
                Happening(
                    resource=resource_type(
                        str(involved.get("apiVersion", "v1")), str(involved.get("kind", ""))
                    ),
                    name=str(involved.get("name", "")),
                    namespace=workload.namespace,
                    event_type=event_type,
                    reason=str(event.get("reason", "")),
                    message=str(event.get("message", "")),
                    count=_count(event),
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [h for _, h in out]


def happenings(kube: Kube, workload: Workload) -> list[Happening]:
    """Everything the cluster did to the workload so far: the creations, then its Events."""
    return [*workload.created, *event_happenings(workload, kube.events(workload.namespace))]


def wait_for_rescale(
    kube: Kube, workload: Workload, timeout: float, on_poll: Callable[[], object] | None = None
) -> Happening:
    """Wait for the HPA's ``SuccessfulRescale`` Event (minReplicas above replicas); ``on_poll``
    runs on every poll (``botkube-repro run`` shows the plugin's restarts meanwhile)."""
    last: list[str] = ["no Events yet"]

    def probe() -> Happening | None:
        if on_poll is not None:
            on_poll()
        found = event_happenings(workload, kube.events(workload.namespace))
        hpa_events = [h for h in found if h.name == workload.hpa_name]
        last[0] = "; ".join(f"{h.event_type} {h.reason}: {h.message}" for h in hpa_events) or (
            f"no Events on HPA {workload.hpa_name} ({len(found)} on the workload)"
        )
        for happening in hpa_events:
            if happening.reason == RESCALE_REASON:
                return happening
        return None

    return wait_until(
        probe,
        timeout=timeout,
        interval=2.0,
        what=f"{RESCALE_REASON} on HPA {workload.namespace}/{workload.hpa_name}",
        retry_on=(KubeError,),
        describe=lambda: last[0],
    )
