import pytest

from pytest_botkube.errors import BadInput
from pytest_botkube.model.apis import check_type, resource_type, split_type
from pytest_botkube.model.versions import (
    DEFAULT_KUBERNETES_VERSION,
    KNOWN_BOTKUBE_VERSIONS,
    has_nil_event_panic,
    nil_event_panic_site,
    normalize_botkube_version,
    parse_kubernetes_version,
    route_lookup_ignores_case,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.13.0", "v1.13.0"),
        ("v1.13.0", "v1.13.0"),
        (" v1.14.0 ", "v1.14.0"),
        ("1.10.0", "v1.10.0"),
    ],
)
def test_normalize_accepts_with_and_without_v(text: str, expected: str):
    assert normalize_botkube_version(text) == expected


@pytest.mark.parametrize(
    ("text", "nearest"),
    [
        ("1.9.2", "v1.9.1"),
        ("v1.15.0", "v1.14.0"),
        ("v2.0.0", "v1.14.0"),
        ("v0.18.0", "v1.0.0"),
        ("1.13", "v1.13.0"),
        ("v1.13", "v1.13.0"),
        ("v1.13.0-rc.1", "v1.13.0"),
        ("v1.4.7", "v1.4.1"),
        ("latest", None),
        ("", None),
    ],
)
def test_unknown_version_is_refused_naming_the_nearest_covered_one(text: str, nearest: str | None):
    with pytest.raises(BadInput) as info:
        normalize_botkube_version(text)
    message = str(info.value)
    assert "\n" not in message
    for known in KNOWN_BOTKUBE_VERSIONS:
        assert known in message
    if nearest is None:
        assert "did you mean" not in message
    else:
        assert message.endswith(f"did you mean {nearest}?")


def test_every_v1_release_is_covered():
    """The upstream tags v1.0.0 ... v1.14.0 without release candidates (git tag at the mirror)."""
    assert KNOWN_BOTKUBE_VERSIONS[0] == "v1.0.0"
    assert KNOWN_BOTKUBE_VERSIONS[-1] == "v1.14.0"
    minors = {v.split(".")[1] for v in KNOWN_BOTKUBE_VERSIONS}
    assert minors == {str(m) for m in range(15)}
    assert {"v1.0.1", "v1.1.1", "v1.4.1", "v1.9.1"} <= set(KNOWN_BOTKUBE_VERSIONS)


@pytest.mark.parametrize("version", KNOWN_BOTKUBE_VERSIONS)
def test_nil_event_panic_until_v1_14(version: str):
    """router.go reads ``cfg.Event.Types`` at line 155 up to v1.9.1 (one router per stream) and
    at line 159 from v1.10.0 (the shared router) to v1.13.0; v1.14.0 checks the pointer."""
    panics = version != "v1.14.0"
    assert has_nil_event_panic(version) is panics
    site = nil_event_panic_site(version)
    line = 159 if version in {"v1.10.0", "v1.11.0", "v1.12.0", "v1.13.0"} else 155
    assert (site == f"internal/source/kubernetes/router.go:{line}") is panics
    assert route_lookup_ignores_case(version) is not panics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.31", (1, 31)),
        ("v1.26", (1, 26)),
        ("1.25.3", (1, 25)),
        ("v1.16.0", (1, 16)),
        ("v1.30.2-gke.1587003", (1, 30)),  # what GET /version answers on GKE
        ("v1.31.0+k3s1", (1, 31)),
    ],
)
def test_parse_kubernetes_version(text: str, expected: tuple[int, int]):
    assert parse_kubernetes_version(text) == expected


@pytest.mark.parametrize("text", ["1.15", "2.1", "abc", "", "1", "1.x", "1.31-rc", "v1.15.3-eks"])
def test_bad_kubernetes_version(text: str):
    with pytest.raises(BadInput, match="Kubernetes version"):
        parse_kubernetes_version(text)


def test_default_kubernetes_version_is_the_kind_node_the_suite_pins():
    from pytest_botkube.live import kind

    assert parse_kubernetes_version(DEFAULT_KUBERNETES_VERSION) == parse_kubernetes_version(
        kind.KUBERNETES_VERSION
    )


@pytest.mark.parametrize(
    ("text", "minor", "status"),
    [
        ("autoscaling/v2beta2/horizontalpodautoscalers", 25, "served"),
        ("autoscaling/v2beta2/horizontalpodautoscalers", 26, "not-served"),
        ("autoscaling/v2beta1/horizontalpodautoscalers", 24, "served"),
        ("autoscaling/v2beta1/horizontalpodautoscalers", 25, "not-served"),
        ("autoscaling/v2/horizontalpodautoscalers", 22, "not-served"),
        ("autoscaling/v2/horizontalpodautoscalers", 23, "served"),
        ("batch/v1beta1/cronjobs", 24, "served"),
        ("batch/v1beta1/cronjobs", 25, "not-served"),
        ("policy/v1beta1/poddisruptionbudgets", 25, "not-served"),
        ("extensions/v1beta1/ingresses", 21, "served"),
        ("extensions/v1beta1/ingresses", 22, "not-served"),
        ("networking.k8s.io/v1beta1/ingresses", 22, "not-served"),
        ("networking.k8s.io/v1/ingresses", 31, "served"),
        ("v1/pods", 31, "served"),
        ("v1/events", 31, "served"),
        ("apps/v1/deployments", 31, "served"),
        ("autoscaling/v3/horizontalpodautoscalers", 31, "not-served"),
        ("v1/horizontalpodautoscalers", 31, "loose"),  # matches autoscaling/v1, lists /api/v1/...
        ("v1/pod", 31, "loose"),
        ("horizontalpodautoscalers", 31, "malformed"),
        ("a/b/c/d", 31, "malformed"),
        ("v1/", 31, "malformed"),
        ("", 31, "malformed"),
        ("example.com/v1/widgets", 31, "not-served"),  # no CRDs by default
    ],
)
def test_check_type(text: str, minor: int, status: str):
    assert check_type(text, (1, minor)).status == status


def test_replacement_prefers_the_newest_stable_version():
    check = check_type("autoscaling/v2beta2/horizontalpodautoscalers", (1, 31))
    assert check.replacement == "autoscaling/v2/horizontalpodautoscalers"
    assert "1.26" in check.detail
    assert check_type("batch/v1beta1/cronjobs", (1, 31)).replacement == "batch/v1/cronjobs"


def test_split_type():
    assert split_type("v1/pods") == ("", "v1", "pods")
    assert split_type("apps/v1/deployments") == ("apps", "v1", "deployments")
    assert split_type("pods") is None


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("apps/v1", "Deployment", "apps/v1/deployments"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "autoscaling/v2/horizontalpodautoscalers"),
        ("networking.k8s.io/v1", "Ingress", "networking.k8s.io/v1/ingresses"),
        ("networking.k8s.io/v1", "NetworkPolicy", "networking.k8s.io/v1/networkpolicies"),
        ("v1", "Endpoints", "v1/endpoints"),
        ("storage.k8s.io/v1", "StorageClass", "storage.k8s.io/v1/storageclasses"),
        # kinds outside the table: apimachinery's guess
        ("example.com/v1", "Widget", "example.com/v1/widgets"),
        ("example.com/v1", "Gateway", "example.com/v1/gateways"),
        ("example.com/v1", "Policy", "example.com/v1/policies"),
        ("example.com/v1", "Status", "example.com/v1/statuses"),
    ],
)
def test_resource_type_of_an_involved_object(api_version: str, kind: str, expected: str):
    assert resource_type(api_version, kind) == expected
