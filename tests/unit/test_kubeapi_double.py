"""The API double, driven by the real kubernetes client through a generated kubeconfig.

If the double answered a shape the real client cannot use (wrong path, wrong Status object,
wrong list kind), these tests fail the same way the cluster layer would against a real server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from doubles.kubeapi import (
    BotkubeProfile,
    KubeApiDouble,
    PlannedDelivery,
    label_matcher,
)
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from pytest_botkube.live.wait import wait_until

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "pause",
                        "image": "registry.k8s.io/pause:3.10",
                        "resources": {"requests": {"cpu": "10m"}},
                    }
                ]
            },
        },
    },
}
HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 3,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 50},
                },
            }
        ],
    },
}


@pytest.fixture
def double() -> Iterator[KubeApiDouble]:
    with KubeApiDouble(hpa_sync_delay=0) as api:
        yield api


@pytest.fixture
def api_client(double: KubeApiDouble, tmp_path: Path) -> Iterator[client.ApiClient]:
    kubeconfig = double.write_kubeconfig(tmp_path / "kubeconfig", cluster="kind-unit")
    api = config.new_client_from_config(config_file=str(kubeconfig), context="kind-unit")
    yield api
    api.close()


def _status(exc: ApiException) -> dict[str, Any]:
    body = exc.body.decode() if isinstance(exc.body, bytes) else exc.body
    result: dict[str, Any] = json.loads(body)
    return result


def _raw(response: Any) -> Any:
    return json.loads(response.data)


def test_discovery_documents_are_what_the_client_expects(api_client: client.ApiClient):
    assert client.VersionApi(api_client).get_code().git_version.startswith("v1.")
    assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]
    groups = {g.name for g in client.ApisApi(api_client).get_api_versions().groups}
    assert {"apps", "autoscaling"} <= groups
    core = client.CoreV1Api(api_client).get_api_resources()
    names = {r.name for r in core.resources}
    assert {"pods", "pods/log", "pods/proxy", "services/proxy", "events"} <= names
    hpa = client.AutoscalingV2Api(api_client).get_api_resources()
    assert hpa.group_version == "autoscaling/v2"
    assert "horizontalpodautoscalers" in {r.name for r in hpa.resources}


def test_namespace_create_get_conflict_delete(api_client: client.ApiClient, double: KubeApiDouble):
    core = client.CoreV1Api(api_client)
    created = core.create_namespace({"metadata": {"name": "bk"}})
    assert created.status.phase == "Active"
    assert core.read_namespace("bk").metadata.labels["kubernetes.io/metadata.name"] == "bk"
    with pytest.raises(ApiException) as conflict:
        core.create_namespace({"metadata": {"name": "bk"}})
    assert conflict.value.status == 409
    assert _status(conflict.value)["reason"] == "AlreadyExists"
    assert _status(conflict.value)["message"] == 'namespaces "bk" already exists'
    deleted = _raw(core.delete_namespace("bk", _preload_content=False))
    assert deleted["kind"] == "Namespace"
    assert deleted["status"]["phase"] == "Terminating"
    with pytest.raises(ApiException) as gone:
        core.read_namespace("bk")
    assert gone.value.status == 404
    assert _status(gone.value)["kind"] == "Status"
    assert _status(gone.value)["message"] == 'namespaces "bk" not found'
    assert [r.method for r in double.requests_to("DELETE", "/api/v1/namespaces/bk")] == ["DELETE"]


def test_namespace_deletion_grace_keeps_it_terminating(tmp_path: Path):
    with KubeApiDouble(namespace_grace=0.3) as double:
        api = config.new_client_from_config(
            config_file=str(double.write_kubeconfig(tmp_path / "kc", cluster="c")), context="c"
        )
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "slow"}})
        core.delete_namespace("slow")
        assert core.read_namespace("slow").status.phase == "Terminating"
        with pytest.raises(ApiException) as refused:
            core.create_namespaced_config_map("slow", {"metadata": {"name": "x"}})
        assert refused.value.status == 403
        api.close()


def test_deployment_in_missing_namespace_is_404(api_client: client.ApiClient):
    with pytest.raises(ApiException) as missing:
        client.AppsV1Api(api_client).create_namespaced_deployment("nope", DEPLOYMENT)
    assert missing.value.status == 404
    assert _status(missing.value)["message"] == 'namespaces "nope" not found'


def test_deployment_controller_creates_labelled_pods(api_client: client.ApiClient):
    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    core.create_namespace({"metadata": {"name": "w"}})
    apps.create_namespaced_deployment("w", DEPLOYMENT)
    dep = apps.read_namespaced_deployment("web", "w")
    assert dep.status.ready_replicas == 1
    pods = core.list_namespaced_pod("w", label_selector="app=web").items
    assert len(pods) == 1
    assert pods[0].status.phase == "Running"
    assert core.list_namespaced_pod("w", label_selector="app in (db,cache)").items == []
    with pytest.raises(ApiException) as dup:
        apps.create_namespaced_deployment("w", DEPLOYMENT)
    assert _status(dup.value)["message"] == 'deployments.apps "web" already exists'
    by_label = apps.list_namespaced_deployment("w", label_selector="app=web").items
    assert [d.metadata.name for d in by_label] == ["web"]


def test_hpa_controller_rescales_and_emits_events(
    api_client: client.ApiClient, double: KubeApiDouble
):
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": "h"}})
    client.AppsV1Api(api_client).create_namespaced_deployment("h", DEPLOYMENT)
    hpa_api = client.AutoscalingV2Api(api_client)
    hpa_api.create_namespaced_horizontal_pod_autoscaler("h", HPA)
    assert hpa_api.read_namespaced_horizontal_pod_autoscaler("web", "h").spec.min_replicas == 2
    events = core.list_namespaced_event(
        "h", field_selector="involvedObject.name=web,involvedObject.kind=HorizontalPodAutoscaler"
    ).items
    assert {(e.type, e.reason) for e in events} == {
        ("Normal", "SuccessfulRescale"),
        ("Warning", "FailedGetResourceMetric"),
    }
    rescale = next(e for e in events if e.reason == "SuccessfulRescale")
    assert rescale.message.startswith("New size: 2; reason: Current number of replicas below")
    warnings = core.list_namespaced_event("h", field_selector="type=Warning").items
    assert [e.reason for e in warnings] == ["FailedGetResourceMetric"]
    assert len(core.list_namespaced_pod("h", label_selector="app=web").items) == 2
    scaling = core.list_namespaced_event("h", field_selector="involvedObject.kind=Deployment")
    assert sorted((e.reason, e.message.split(" from ")[1]) for e in scaling.items) == [
        ("ScalingReplicaSet", "0 to 1"),
        ("ScalingReplicaSet", "1 to 2"),
    ]
    posted = double.requests_to(
        "POST", "/apis/autoscaling/v2/namespaces/h/horizontalpodautoscalers"
    )
    assert posted[0].body["spec"]["minReplicas"] == 2


def test_unsupported_field_selector_is_rejected(api_client: client.ApiClient):
    with pytest.raises(ApiException) as bad:
        client.CoreV1Api(api_client).list_namespaced_event("default", field_selector="foo=bar")
    assert bad.value.status == 400
    assert "field label not supported" in _status(bad.value)["message"]


def _receiver() -> tuple[ThreadingHTTPServer, list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def _values(url: str) -> dict[str, Any]:
    return {
        "settings": {"clusterName": "unit"},
        "communications": {"default-group": {"webhook": {"enabled": True, "url": url}}},
    }


def test_botkube_release_logs_health_and_deliveries(
    api_client: client.ApiClient, double: KubeApiDouble
):
    server, received = _receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    def payload(ctx: Any) -> dict[str, Any]:
        hpa = ctx.obj["metadata"]["name"]
        return {"source": "hpa", "data": {"Name": hpa, "Cluster": ctx.release.cluster_name}}

    double.set_profile(
        "bk-*",
        BotkubeProfile(
            healthz={"botkube": {"status": "Healthy"}, "plugins": {"k8s": {"status": "Running"}}},
            log='{"msg":"started"}\n{"msg":"second"}\n',
            previous_log="panic: boom\n",
            restarts=3,
            deliveries=[PlannedDelivery("hpa", payload)],
        ),
    )
    rel = double.install("bk-1", "botkube", _values(url), create_namespace=True)
    assert rel.fullname == "botkube"
    core = client.CoreV1Api(api_client)
    pods = core.list_namespaced_pod("bk-1", label_selector="app=botkube,component=controller")
    pod = pods.items[0]
    assert pod.status.container_statuses[0].restart_count == 3
    name = pod.metadata.name
    log = core.read_namespaced_pod_log(name, "bk-1", container="botkube", _preload_content=False)
    assert log.data.decode().splitlines() == ['{"msg":"started"}', '{"msg":"second"}']
    tail = core.read_namespaced_pod_log(name, "bk-1", tail_lines=1, _preload_content=False)
    assert tail.data.decode() == '{"msg":"second"}\n'
    prev = core.read_namespaced_pod_log(name, "bk-1", previous=True, _preload_content=False)
    assert prev.data.decode() == "panic: boom\n"
    health = core.connect_get_namespaced_pod_proxy_with_path(
        f"{name}:2114", "bk-1", "healthz", _preload_content=False
    )
    assert _raw(health)["plugins"]["k8s"]["status"] == "Running"
    assert double.requests_to("GET", f"/api/v1/namespaces/bk-1/pods/{name}:2114/proxy/healthz")
    with pytest.raises(ApiException) as refused:
        core.connect_get_namespaced_pod_proxy_with_path(f"{name}:9999", "bk-1", "healthz")
    assert refused.value.status == 503
    # The chart's Service exposes the incoming webhook port only, so /healthz is not behind it.
    with pytest.raises(ApiException) as no_endpoint:
        core.connect_get_namespaced_service_proxy_with_path("botkube:2114", "bk-1", "healthz")
    assert no_endpoint.value.status == 503

    core.create_namespace({"metadata": {"name": "work"}})
    client.AppsV1Api(api_client).create_namespaced_deployment("work", DEPLOYMENT)
    client.AutoscalingV2Api(api_client).create_namespaced_horizontal_pod_autoscaler("work", HPA)
    wait_until(
        lambda: received or None,
        timeout=5,
        interval=0.02,
        what="the double's agent to POST the HPA create to the webhook",
    )
    server.shutdown()
    server.server_close()
    assert received == [{"source": "hpa", "data": {"Name": "web", "Cluster": "unit"}}]
    assert double.sent_deliveries[0].status == 200
    assert double.uninstall("bk-1", "botkube") is True
    assert core.list_namespaced_pod("bk-1", label_selector="app=botkube").items == []
    assert double.uninstall("bk-1", "botkube") is False


def test_previous_log_without_terminated_container_is_400(
    api_client: client.ApiClient, double: KubeApiDouble
):
    double.install("bk-2", "rel", _values("http://127.0.0.1:9/"), create_namespace=True)
    core = client.CoreV1Api(api_client)
    pod = core.list_namespaced_pod("bk-2", label_selector="app=botkube").items[0].metadata.name
    with pytest.raises(ApiException) as bad:
        core.read_namespaced_pod_log(pod, "bk-2", container="botkube", previous=True)
    assert bad.value.status == 400
    assert _status(bad.value)["message"] == (
        f'previous terminated container "botkube" in pod "{pod}" not found'
    )
    assert double.get("deployments", "bk-2", "rel-botkube") is not None


def test_forbidden_paths_answer_a_status_object(
    api_client: client.ApiClient, double: KubeApiDouble
):
    double.forbid(r"/api/v1/namespaces/[^/]+/pods/[^/]+/proxy/.*")
    double.install("bk-3", "botkube", _values("http://127.0.0.1:9/"), create_namespace=True)
    core = client.CoreV1Api(api_client)
    pod = core.list_namespaced_pod("bk-3").items[0].metadata.name
    with pytest.raises(ApiException) as denied:
        core.connect_get_namespaced_pod_proxy_with_path(f"{pod}:2114", "bk-3", "healthz")
    status = _status(denied.value)
    assert denied.value.status == 403
    assert status["reason"] == "Forbidden"
    assert (
        'cannot get resource "pods/proxy" in API group "" in the namespace "bk-3"'
        in (status["message"])
    )


def test_watch_streams_added_events(api_client: client.ApiClient, double: KubeApiDouble):
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": "wt"}})
    core.create_namespaced_config_map("wt", {"metadata": {"name": "one"}})
    seen = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(core.list_namespaced_config_map, "wt", timeout_seconds=1)
    ]
    assert seen == [("ADDED", "one")]


def test_sigint_is_sent_to_the_recorded_client_pid(double: KubeApiDouble):
    code = (
        "import time\ntry:\n print('ready', flush=True)\n time.sleep(30)\n"
        "except KeyboardInterrupt:\n print('int')"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    double.set_profile("*", BotkubeProfile(sigint_on="install"))
    try:
        # Python's SIGINT handler is in place once the child prints: no race with its start-up.
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        double.install("bk-4", "botkube", {}, create_namespace=True, client_pid=child.pid)
        out, _ = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
    assert out.strip() == "int"


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=botkube,component=controller", {"app": "botkube", "component": "controller"}, True),
        ("app=botkube,component=controller", {"app": "botkube"}, False),
        ("app!=web", {"app": "botkube"}, True),
        ("tier in (a, b)", {"tier": "b"}, True),
        ("tier notin (a,b)", {"tier": "b"}, False),
        ("app", {"app": ""}, True),
        ("!app", {"app": ""}, False),
    ],
)
def test_label_selector_semantics(selector: str, labels: dict[str, str], expected: bool):
    assert label_matcher(selector)(labels) is expected
