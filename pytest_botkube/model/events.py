"""What happened in the cluster, in the terms the model, the receiver and the verdict share.

A ``Happening`` is either a change to a watched object (create/update/delete) or a core
``v1/Event`` whose involvedObject is such an object. The e2e suite builds them from the
Kubernetes API; the model says for each whether BotKube would forward it and, if not, why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ObjectAction = Literal["create", "update", "delete"]
CoreEventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class Happening:
    """One thing the cluster did to a scenario's objects."""

    resource: str  # the BotKube resource type, e.g. "autoscaling/v2/horizontalpodautoscalers"
    name: str
    namespace: str
    action: ObjectAction | None = None  # set for object changes
    event_type: CoreEventType | None = None  # set for core Events
    reason: str = ""  # core Event reason; empty for object changes, as in BotKube
    message: str = ""
    count: int = 1

    @property
    def is_core_event(self) -> bool:
        return self.event_type is not None

    def describe(self) -> str:
        what = f"{self.event_type} {self.reason}" if self.is_core_event else f"{self.action}"
        return f"{what} {self.resource} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Forwarding:
    """The model's answer for one happening: delivered by which sources, or why not."""

    delivered: bool
    sources: tuple[str, ...] = ()  # source aliases that would forward it
    why: str = ""  # one sentence a maintainer can paste: why it is (not) forwarded
