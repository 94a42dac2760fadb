"""What the doctor reads through: the ``ClusterReader`` protocol (read-only get/list calls,
objects as the API's JSON) and the ways a read can fail. The real reader is
:class:`~pytest_botkube.doctor.inspect.KubeReader`; tests pass plain data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from pytest_botkube.errors import BotkubeReproError, EnvironmentUnavailable


class AccessDenied(EnvironmentUnavailable):
    """A 403 from the API server: the message names the verb and resource to grant."""

    def __init__(self, verb: str, resource: str, namespace: str | None) -> None:
        self.verb, self.resource, self.namespace = verb, resource, namespace
        where = f"in namespace {namespace}" if namespace else "at cluster scope"
        super().__init__(
            f"forbidden: cannot {verb} {resource} {where} (RBAC: grant {verb} on {resource})"
        )


class ClusterUnreachable(EnvironmentUnavailable):
    """No answer from the API server, or no usable kubeconfig."""


class BotkubeNotFound(EnvironmentUnavailable):
    """No BotKube Deployment where the doctor looked; the message says what and where."""


class ReadFailed(BotkubeReproError):
    """One observation could not be made (pod not ready for the proxy, no previous log).

    The doctor records it in the report instead of stopping: the other observations still count.
    """


class ClusterReader(Protocol):
    """The read-only calls the doctor makes; objects come back as the API's JSON (camelCase)."""

    @property
    def where(self) -> str:
        """Which cluster, for messages: ``context kind-x (https://127.0.0.1:6443)``."""
        ...

    def default_namespace(self) -> str | None: ...

    def list_deployments(self, namespace: str | None, selector: str) -> list[dict[str, Any]]: ...

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...

    def get_config_map(self, namespace: str, name: str) -> dict[str, str] | None: ...

    def get_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        """The Secret's ``data``, base64-decoded; ``None`` when it does not exist."""
        ...

    def get_healthz(self, namespace: str, pod: str, port: int) -> bytes: ...

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> Iterator[str]:
        """The container's log, line by line, without reading it all into memory."""
        ...
