"""Read-only Kubernetes access for ``botkube-repro doctor``: the real ``ClusterReader``.

Every call is a GET the doctor's Role allows (manifests/doctor-rbac.yaml). Responses are read
raw (``_preload_content=False``) and parsed as the API's own JSON, so the doctor sees exactly the
documented camelCase objects, and the pod-proxy body arrives untouched (the client's model
deserialiser would turn a JSON body into a Python repr). The kubernetes client is imported here
only, when a reader is built.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pytest_botkube.doctor.reader import AccessDenied, ClusterUnreachable, ReadFailed
from pytest_botkube.errors import BadInput
from pytest_botkube.live.kube import (
    REQUEST_TIMEOUT,
    STREAM_TIMEOUT,
    Kube,
    KubeError,
    cause_of,
    default_kubeconfig,
    status_message,
)

T = TypeVar("T")

_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class KubeReader:
    """Talks to one cluster through one kubeconfig context; never writes.

    Client construction, the pod list and the /healthz proxy read are ``cluster.kube.Kube``'s;
    this adds the reads only the doctor needs (Deployments, ConfigMaps, Secrets, a streamed log)
    and turns 401/403/unreachable into the doctor's one-line errors.
    """

    def __init__(self, kube: Kube, where: str, namespace: str | None = None) -> None:
        from kubernetes import client

        self.kube = kube
        self._core = client.CoreV1Api(kube.api_client)
        self._apps = client.AppsV1Api(kube.api_client)
        self._where = where
        self._namespace = namespace
        self._timeout = STREAM_TIMEOUT

    @classmethod
    def connect(
        cls,
        kubeconfig: Path | str | None,
        context: str | None,
        environ: Mapping[str, str] | None = None,
    ) -> KubeReader:
        """A reader for ``context`` of ``kubeconfig`` (default: the first file of $KUBECONFIG,
        else ~/.kube/config); in a pod with neither, its ServiceAccount."""
        from kubernetes import config as typed_config
        from kubernetes.config.config_exception import ConfigException

        config: Any = typed_config  # its loaders are untyped
        env = os.environ if environ is None else environ
        if kubeconfig is not None:
            path = Path(kubeconfig)
            if not path.is_file():
                raise BadInput(f"{path}: no such kubeconfig file")
        else:
            path = default_kubeconfig(env)
            if not path.is_file():
                if env.get("KUBERNETES_SERVICE_HOST"):
                    return cls._in_cluster()
                raise ClusterUnreachable(
                    f"no kubeconfig at {path} (pass --kubeconfig, or set KUBECONFIG)"
                )
        try:
            contexts, current = config.list_kube_config_contexts(config_file=str(path))
        except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
            reason = " ".join(str(exc).split())  # PyYAML's messages span lines
            raise BadInput(f"{path}: not a usable kubeconfig: {reason}") from None
        chosen = (
            next((c for c in contexts if c.get("name") == context), None) if context else current
        )
        if not chosen:
            if context:
                names = ", ".join(str(c.get("name")) for c in contexts) or "none"
                raise BadInput(f"--context {context}: not in {path} (it has: {names})")
            raise BadInput(f"{path}: no current-context; pass --context")
        name = str(chosen["name"])
        kube = Kube.connect(path, name)  # EnvironmentUnavailable (exit 3) when unusable
        host = getattr(kube.api_client.configuration, "host", "?")
        namespace = (chosen.get("context") or {}).get("namespace")
        return cls(kube, f"context {name} ({host})", namespace)

    @classmethod
    def _in_cluster(cls) -> KubeReader:
        from kubernetes import client
        from kubernetes import config as typed_config
        from kubernetes.config.config_exception import ConfigException

        config: Any = typed_config
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ClusterUnreachable(f"no kubeconfig and no usable ServiceAccount: {exc}") from None
        namespace = None
        if _SA_NAMESPACE.is_file():
            namespace = _SA_NAMESPACE.read_text(encoding="utf-8").strip() or None
        kube = Kube(
            api_client=client.ApiClient(configuration), kubeconfig=_SA_NAMESPACE, context=None
        )
        return cls(kube, f"in-cluster ({configuration.host})", namespace)

    def close(self) -> None:
        self.kube.close()

    def require_kubernetes(self) -> None:
        """Refuse a server that is not a Kubernetes API server (a proxy, a web app behind the
        kubeconfig's URL): ``GET /version`` must answer Kubernetes' JSON. Refusals by a real
        API server (401/403) and unreachable addresses are left to the reads that follow."""
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        api = client.VersionApi(self.kube.api_client)
        try:
            response: Any = api.get_code(
                _preload_content=False, _request_timeout=REQUEST_TIMEOUT
            )  # a raw urllib3 response with _preload_content=False
            status, body = int(response.status), response.data
            kind = str(response.headers.get("Content-Type", ""))
        except ApiException as exc:
            status, body = int(exc.status or 0), exc.body or b""
            kind = str((exc.headers or {}).get("Content-Type", ""))
            if status in (401, 403) and "json" in kind:
                return  # Kubernetes refusing this user: the doctor's reads say so
        except (HTTPError, OSError):
            return  # unreachable: the first read names it
        try:
            info = json.loads(body)
        except (ValueError, TypeError):
            info = None
        if isinstance(info, dict) and (info.get("gitVersion") or info.get("kind") == "Status"):
            return
        what = kind.split(";")[0].strip() or "no content type"
        raise ClusterUnreachable(
            f"{self._where}: not a Kubernetes API server: GET /version answered HTTP {status} "
            f"({what}), not Kubernetes' version JSON; check the kubeconfig's server URL"
        )

    def server_version(self) -> str | None:
        """``GET /version`` (allowed to every authenticated user); ``None`` when unanswered."""
        try:
            return self.kube.server_version() or None
        except KubeError:
            return None

    # ------------------------------------------------------------------ ClusterReader

    @property
    def where(self) -> str:
        return self._where

    def default_namespace(self) -> str | None:
        return self._namespace

    def list_deployments(self, namespace: str | None, selector: str) -> list[dict[str, Any]]:
        if namespace is None:
            # GET /apis/apps/v1/deployments?labelSelector=...
            body = self._json(
                lambda: self._apps.list_deployment_for_all_namespaces(
                    label_selector=selector, **self._raw()
                ),
                "list",
                "deployments",
                None,
            )
        else:
            # GET /apis/apps/v1/namespaces/{namespace}/deployments?labelSelector=...
            body = self._json(
                lambda: self._apps.list_namespaced_deployment(
                    namespace, label_selector=selector, **self._raw()
                ),
                "list",
                "deployments",
                namespace,
            )
        return list(body.get("items") or [])

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        # GET /apis/apps/v1/namespaces/{namespace}/deployments/{name}
        return self._json_or_none(
            lambda: self._apps.read_namespaced_deployment(name, namespace, **self._raw()),
            "get",
            "deployments",
            namespace,
        )

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        # GET /api/v1/namespaces/{namespace}/pods?labelSelector=...  (Kube.list_pods)
        return self._kube_call(
            lambda: self.kube.list_pods(namespace, selector), "list", "pods", namespace
        )

    def get_config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        # GET /api/v1/namespaces/{namespace}/configmaps/{name}
        body = self._json_or_none(
            lambda: self._core.read_namespaced_config_map(name, namespace, **self._raw()),
            "get",
            "configmaps",
            namespace,
        )
        return (
            None if body is None else {str(k): str(v) for k, v in (body.get("data") or {}).items()}
        )

    def get_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        # GET /api/v1/namespaces/{namespace}/secrets/{name}
        body = self._json_or_none(
            lambda: self._core.read_namespaced_secret(name, namespace, **self._raw()),
            "get",
            "secrets",
            namespace,
        )
        if body is None:
            return None
        out: dict[str, bytes] = {}
        for key, value in (body.get("data") or {}).items():
            try:
                out[str(key)] = base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                # Never echo the value: name the key only.
                raise ReadFailed(f"Secret {namespace}/{name} key {key}: not base64") from None
        return out

    def get_healthz(self, namespace: str, pod: str, port: int) -> bytes:
        # GET /api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/healthz  (Kube.healthz)
        body = self._kube_call(
            lambda: self.kube.healthz(namespace, pod, port), "get", "pods/proxy", namespace
        )
        return body.encode("utf-8")

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> Iterator[str]:
        # GET /api/v1/namespaces/{namespace}/pods/{name}/log?container=...&previous=...
        return self._kube_call(
            lambda: self.kube.pod_log_lines(namespace, pod, container=container, previous=previous),
            "get",
            "pods/log",
            namespace,
        )

    # ------------------------------------------------------------------ plumbing

    def _raw(self) -> dict[str, Any]:
        # The read timeout bounds each socket read, not the whole body: a long log still streams.
        return {"_preload_content": False, "_request_timeout": self._timeout}

    def _kube_call(
        self, request: Callable[[], T], verb: str, resource: str, namespace: str | None
    ) -> T:
        """A ``Kube`` call, its ``KubeError`` mapped like ``_call`` maps the client's."""
        try:
            return request()
        except KubeError as exc:
            raise self._mapped(exc.status, exc.detail, verb, resource, namespace) from None

    def _mapped(
        self, status: int | None, detail: str, verb: str, resource: str, namespace: str | None
    ) -> Exception:
        if status == 403:
            return AccessDenied(verb, resource, namespace)
        if status == 401:
            return ClusterUnreachable(f"unauthorized: {self._where} rejected the credentials")
        if status is None or status == 0:
            return ClusterUnreachable(f"cannot reach the Kubernetes API of {self._where}: {detail}")
        where = f" in namespace {namespace}" if namespace else ""
        return ReadFailed(f"{verb} {resource}{where}: HTTP {status} {detail}".strip())

    def _call(self, request: Callable[[], T], verb: str, resource: str, namespace: str | None) -> T:
        """Run one request; map failures to the doctor's one-line errors."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return request()
        except ApiException as exc:
            raise self._mapped(exc.status, status_message(exc), verb, resource, namespace) from None
        except (HTTPError, OSError) as exc:
            raise self._mapped(None, cause_of(exc), verb, resource, namespace) from None

    def _json(
        self, request: Callable[[], Any], verb: str, resource: str, namespace: str | None
    ) -> dict[str, Any]:
        response = self._call(request, verb, resource, namespace)
        try:
            body = json.loads(response.data)
        except ValueError:
            raise ReadFailed(f"{verb} {resource}: the API server answered with non-JSON") from None
        finally:
            response.release_conn()
        if not isinstance(body, dict):
            raise ReadFailed(f"{verb} {resource}: unexpected answer from the API server")
        return body

    def _json_or_none(
        self, request: Callable[[], Any], verb: str, resource: str, namespace: str | None
    ) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        def guarded() -> Any:
            try:
                return request()
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise

        response = self._call(guarded, verb, resource, namespace)
        if response is None:
            return None
        return self._json(lambda: response, verb, resource, namespace)
