"""The Kubernetes API for the live suite, through the official client (imported lazily).

Reads ask for the raw response (``_preload_content=False``) and parse the JSON themselves:
the client's own deserializer turns a one-line JSON body declared as ``str`` (a pod log of
JSON lines, the /healthz proxy answer) into a Python ``repr``, and raw dicts look the same in
every client version. Writes send plain dict bodies.

API calls made (method, path; the client method in brackets), checked against the Kubernetes
v1.31 API reference (https://kubernetes.io/docs/reference/kubernetes-api/):

- ``GET /version``                                                  [VersionApi.get_code]
- ``GET /api/v1/namespaces/{ns}/pods?labelSelector=...``            [list_namespaced_pod]
- ``GET /api/v1/namespaces/{ns}/pods/{pod}/log?container=botkube[&previous=true]``
                                                                    [read_namespaced_pod_log]
- ``GET /api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/healthz``   (the client percent-encodes
  the colon: ``{pod}%3A{port}``)              [connect_get_namespaced_pod_proxy_with_path]
- ``GET /api/v1/namespaces/{ns}/events``                            [list_namespaced_event]
- ``POST /apis/apps/v1/namespaces/{ns}/deployments``                [create_namespaced_deployment]
- ``POST /apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers``
                                             [create_namespaced_horizontal_pod_autoscaler]
- ``GET /apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}``
                                               [read_namespaced_horizontal_pod_autoscaler]
- ``DELETE /api/v1/namespaces/{ns}`` then ``GET /api/v1/namespaces/{ns}`` until 404
                                                      [delete_namespace, read_namespace]
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pytest_botkube.errors import EnvironmentUnavailable
from pytest_botkube.live.wait import wait_until

AGENT_SELECTOR = "app=botkube,component=controller"  # the chart's pod labels (v1.13, v1.14)
AGENT_CONTAINER = "botkube"  # the chart's container name (.Chart.Name)
HEALTH_PORT = 2114  # settings.healthPort default
REQUEST_TIMEOUT = 30.0
#: For streamed reads: (connect, per socket read) seconds, so a long log is not cut off.
STREAM_TIMEOUT = (5.0, 30.0)
_LOG_CHUNK = 64 * 1024


class KubeError(Exception):
    """An API call failed; the message names the call and the server's answer.

    ``detail`` is the server's answer alone (its Status message), for callers that word the
    call themselves.
    """

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail or message


def status_message(exc: Any) -> str:
    """The ``message`` of an API error's Status body, else its body or HTTP reason."""
    raw = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body or ""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return raw or str(getattr(exc, "reason", None) or "")


def stream_lines(response: Any) -> Iterator[str]:
    """Decode a raw response as it arrives, line by line; a partial last line is yielded too."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        for chunk in response.stream(_LOG_CHUNK):
            pending += decoder.decode(chunk)
            *lines, pending = pending.split("\n")
            yield from lines
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending
    finally:
        response.release_conn()


def _json(response: Any) -> Any:
    data = response.data
    return json.loads(data.decode() if isinstance(data, bytes) else data)


def _text(response: Any) -> str:
    data = response.data
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data)


@dataclass
class Kube:
    """A connection to one cluster; construct with :meth:`connect`."""

    api_client: Any
    kubeconfig: Path
    context: str | None

    @classmethod
    def connect(cls, kubeconfig: Path, context: str | None) -> Kube:
        from kubernetes import config as kube_config
        from kubernetes.config.config_exception import ConfigException

        try:
            api_client = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=str(kubeconfig), context=context, persist_config=False
            )
        except (ConfigException, OSError, TypeError, ValueError, yaml.YAMLError) as exc:
            where = f"{kubeconfig}" + (f" context {context}" if context else "")
            reason = " ".join(str(exc).split())  # PyYAML's messages span lines
            raise EnvironmentUnavailable(f"cannot use kubeconfig {where}: {reason}") from None
        return cls(api_client=api_client, kubeconfig=kubeconfig, context=context)

    # -- plumbing -------------------------------------------------------------------------

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    def _call(
        self,
        what: str,
        fn: Any,
        *args: Any,
        timeout: float | tuple[float, float] = REQUEST_TIMEOUT,
        **kwargs: Any,
    ) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return fn(*args, _request_timeout=timeout, **kwargs)
        except ApiException as exc:
            message = status_message(exc)
            raise KubeError(
                f"{what}: HTTP {exc.status}: {message}".strip(), exc.status, message
            ) from None
        except (HTTPError, OSError) as exc:
            raise KubeError(f"{what}: {type(exc).__name__}: {exc}", None, cause_of(exc)) from None

    # -- reads ----------------------------------------------------------------------------

    def server_version(self) -> str:
        from kubernetes import client

        api = client.VersionApi(self.api_client)
        info = _json(self._call("GET /version", api.get_code, _preload_content=False))
        return str(info.get("gitVersion", ""))

    def list_pods(self, namespace: str, selector: str = AGENT_SELECTOR) -> list[dict[str, Any]]:
        core = self._core()
        what = f"list pods {namespace} {selector}"
        response = self._call(
            what,
            core.list_namespaced_pod,
            namespace,
            label_selector=selector,
            _preload_content=False,
        )
        items: list[dict[str, Any]] = _json(response).get("items", [])
        return items

    def agent_pod(self, namespace: str) -> dict[str, Any] | None:
        """The newest BotKube agent pod in ``namespace`` (a RestartAgent crash replaces it)."""
        pods = self.list_pods(namespace)
        pods.sort(key=lambda p: p.get("metadata", {}).get("creationTimestamp", ""))
        return pods[-1] if pods else None

    def pod_log(
        self,
        namespace: str,
        pod: str,
        *,
        container: str = AGENT_CONTAINER,
        previous: bool = False,
    ) -> str:
        """The container's whole log; ``previous=True`` reads the last terminated container's
        log and returns "" when there is none (the API answers 400 then)."""
        try:
            lines = self.pod_log_lines(namespace, pod, container=container, previous=previous)
        except KubeError as exc:
            if previous and exc.status in (400, 404):
                return ""
            raise
        return "".join(f"{line}\n" for line in lines)

    def pod_log_lines(
        self, namespace: str, pod: str, *, container: str = AGENT_CONTAINER, previous: bool = False
    ) -> Iterator[str]:
        """The container's log streamed line by line (a 1 GB log never sits in memory); the
        request is made, and fails with ``KubeError``, before the first line is asked for."""
        core = self._core()
        response = self._call(
            f"log {namespace}/{pod}{' (previous)' if previous else ''}",
            core.read_namespaced_pod_log,
            pod,
            namespace,
            container=container,
            previous=previous,
            _preload_content=False,
            timeout=STREAM_TIMEOUT,
        )
        return stream_lines(response)

    def healthz(self, namespace: str, pod: str, port: int = HEALTH_PORT) -> str:
        """The agent's /healthz body, read through the API server's pod proxy (no
        port-forward). BotKube answers 503 until the agent marked itself ready."""
        core = self._core()
        response = self._call(
            f"GET pods/{pod}:{port}/proxy/healthz in {namespace}",
            core.connect_get_namespaced_pod_proxy_with_path,
            f"{pod}:{port}",
            namespace,
            "healthz",
            _preload_content=False,
        )
        return _text(response)

    def events(self, namespace: str) -> list[dict[str, Any]]:
        """Core v1 Events of ``namespace`` (both events APIs store into the same objects)."""
        core = self._core()
        response = self._call(
            f"list events {namespace}",
            core.list_namespaced_event,
            namespace,
            _preload_content=False,
        )
        items: list[dict[str, Any]] = _json(response).get("items", [])
        return items

    def namespace_exists(self, namespace: str) -> bool:
        core = self._core()
        try:
            self._call(
                f"read namespace {namespace}",
                core.read_namespace,
                namespace,
                _preload_content=False,
            )
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- writes ---------------------------------------------------------------------------

    def create_deployment(self, namespace: str, body: dict[str, Any]) -> None:
        from kubernetes import client

        api = client.AppsV1Api(self.api_client)
        name = body.get("metadata", {}).get("name", "?")
        self._call(
            f"create deployment {namespace}/{name}",
            api.create_namespaced_deployment,
            namespace,
            body,
            _preload_content=False,
        )

    def create_hpa(self, namespace: str, body: dict[str, Any]) -> None:
        from kubernetes import client

        api = client.AutoscalingV2Api(self.api_client)
        name = body.get("metadata", {}).get("name", "?")
        self._call(
            f"create hpa {namespace}/{name}",
            api.create_namespaced_horizontal_pod_autoscaler,
            namespace,
            body,
            _preload_content=False,
        )

    def delete_namespace(self, namespace: str, *, timeout: float) -> None:
        """Delete ``namespace`` and wait until it is gone (a 404 on read)."""
        core = self._core()
        try:
            self._call(
                f"delete namespace {namespace}",
                core.delete_namespace,
                namespace,
                _preload_content=False,
            )
        except KubeError as exc:
            if exc.status == 404:
                return
            raise
        wait_until(
            lambda: True if not self.namespace_exists(namespace) else None,
            timeout=timeout,
            interval=1.0,
            what=f"namespace {namespace} to be deleted",
            describe=lambda: f"namespace {namespace} still exists",
        )

    def close(self) -> None:
        close = getattr(self.api_client, "close", None)
        if close is not None:
            close()


def default_kubeconfig(env: Mapping[str, str]) -> Path:
    """The kubeconfig kubectl would use: the first entry of $KUBECONFIG, else ~/.kube/config
    (the existing-cluster mode and the doctor)."""
    first = next((p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p), None)
    return Path(first) if first else Path.home() / ".kube" / "config"


def cause_of(exc: BaseException) -> str:
    """urllib3 nests the real cause (connection refused, DNS) several levels deep."""
    cause: BaseException = exc
    for _ in range(5):
        reason = getattr(cause, "reason", None)
        if not isinstance(reason, BaseException):
            break
        cause = reason
    text = str(cause)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
