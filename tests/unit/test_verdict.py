"""The delivery diff: matching, disagreements with the model, unmatched deliveries, rendering."""

from __future__ import annotations

from pytest_botkube.model.config import CHART_DEFAULT_CONTEXT as CONTEXT
from pytest_botkube.model.events import Forwarding, Happening
from pytest_botkube.model.semantics import analyze
from pytest_botkube.readers.payload import Delivery
from pytest_botkube.reproduce.delivery_diff import delivery_diff, matches_happening

HPA = "autoscaling/v2/horizontalpodautoscalers"
DEPLOY = "apps/v1/deployments"

HPA_CREATED = Happening(resource=HPA, name="web", namespace="demo", action="create")
DEPLOY_CREATED = Happening(resource=DEPLOY, name="web", namespace="demo", action="create")
RESCALED = Happening(
    resource=HPA,
    name="web",
    namespace="demo",
    event_type="Normal",
    reason="SuccessfulRescale",
    message="New size: 2; reason: Current number of replicas below Spec.MinReplicas",
)
METRIC_FAILED = Happening(
    resource=HPA,
    name="web",
    namespace="demo",
    event_type="Warning",
    reason="FailedGetResourceMetric",
    message="failed to get cpu utilization",
    count=3,
)


def created(
    resource: str = HPA,
    kind: str = "HorizontalPodAutoscaler",
    name: str = "web",
    namespace: str = "demo",
) -> Delivery:
    return Delivery(
        sources=("k8s-hpa",),
        type="create",
        kind=kind,
        resource=resource,
        name=name,
        namespace=namespace,
    )


def metric_error(source: str = "k8s-hpa") -> Delivery:
    return Delivery(
        sources=(source,),
        type="error",
        kind="HorizontalPodAutoscaler",
        name="web",
        namespace="demo",
        resource=HPA,
        reason="FailedGetResourceMetric",
        count=1,
    )


def model(happening: Happening) -> Forwarding:
    """A small stand-in model for the workaround scenario: one source watching HPAs."""
    if happening.resource != HPA:
        return Forwarding(False, why=f"no source watches {happening.resource}")
    if happening.event_type == "Normal":
        return Forwarding(False, why="BotKube never forwards Normal events")
    return Forwarding(True, sources=("k8s-hpa",), why="k8s-hpa watches it")


def test_matching_rules() -> None:
    assert matches_happening(created(), HPA_CREATED)
    assert not matches_happening(created(name="api"), HPA_CREATED)
    assert not matches_happening(created(namespace="other"), HPA_CREATED)
    assert not matches_happening(created(resource=DEPLOY, kind="Deployment"), HPA_CREATED)
    assert matches_happening(created(resource=DEPLOY, kind="Deployment"), DEPLOY_CREATED)
    assert matches_happening(metric_error(), METRIC_FAILED)
    # an error delivery is never an object change, and needs the same reason
    assert not matches_happening(metric_error(), HPA_CREATED)
    assert not matches_happening(created(), METRIC_FAILED)
    assert not matches_happening(metric_error(), RESCALED)


def test_rows_say_what_was_delivered_and_why_not() -> None:
    diff = delivery_diff(
        [HPA_CREATED, DEPLOY_CREATED, RESCALED, METRIC_FAILED],
        [created(), metric_error()],
        model,
    )
    assert [row.delivered for row in diff.rows] == [True, False, False, True]
    assert diff.rows[0].delivered_by == ("k8s-hpa",)
    assert diff.rows[1].why() == "no source watches apps/v1/deployments"
    assert diff.rows[2].why() == "BotKube never forwards Normal events"
    assert diff.disagreements == ()
    assert diff.unmatched == ()
    assert [row.happening for row in diff.not_delivered] == [DEPLOY_CREATED, RESCALED]


def test_predicted_but_not_delivered_is_a_disagreement() -> None:
    # the #1474 crash: the plugin is down, nothing arrives, the (healthy) model expected some
    diff = delivery_diff([HPA_CREATED, RESCALED], [], model)
    (row,) = diff.disagreements
    assert row.happening == HPA_CREATED
    assert row.disagreement == "the model predicts delivery by k8s-hpa, but nothing arrived"
    assert row.why() == row.disagreement


def test_delivered_against_the_model_is_a_disagreement() -> None:
    def never(happening: Happening) -> Forwarding:
        return Forwarding(False, why="plugin deactivated after 11/10 restarts")

    diff = delivery_diff([HPA_CREATED], [created()], never)
    (row,) = diff.disagreements
    assert row.disagreement == (
        "delivered, but the model says BotKube would not forward it "
        "(plugin deactivated after 11/10 restarts)"
    )


def test_source_mismatch_is_a_disagreement() -> None:
    def two_sources(happening: Happening) -> Forwarding:
        return Forwarding(True, sources=("k8s-hpa", "k8s-all"))

    diff = delivery_diff([METRIC_FAILED], [metric_error("k8s-hpa")], two_sources)
    (row,) = diff.disagreements
    assert row.disagreement == "predicted sources k8s-hpa, k8s-all: no delivery from k8s-all"

    diff = delivery_diff([METRIC_FAILED], [metric_error("other")], model)
    assert diff.disagreements[0].disagreement == (
        "predicted sources k8s-hpa: no delivery from k8s-hpa; unpredicted delivery from other"
    )

    both = delivery_diff(
        [METRIC_FAILED], [metric_error("k8s-all"), metric_error("k8s-hpa")], two_sources
    )
    assert both.disagreements == ()
    assert both.rows[0].delivered_by == ("k8s-all", "k8s-hpa")


def test_each_delivery_is_used_once_and_once_per_source() -> None:
    first = Happening(resource=HPA, name="web", namespace="demo", action="update", message="a")
    second = Happening(resource=HPA, name="web", namespace="demo", action="update", message="b")
    update = Delivery(
        sources=("k8s-hpa",), type="update", name="web", namespace="demo", resource=HPA
    )
    diff = delivery_diff([first, second], [update, update, update], model)
    assert [len(row.deliveries) for row in diff.rows] == [1, 1]
    assert diff.unmatched == (update,)


def test_deliveries_matching_nothing_are_listed() -> None:
    stray = created(name="other-hpa")
    diff = delivery_diff([HPA_CREATED], [stray, created()], model)
    assert diff.rows[0].deliveries == (created(),)
    assert diff.unmatched == (stray,)


def test_without_a_model_there_are_no_disagreements() -> None:
    diff = delivery_diff([HPA_CREATED, RESCALED], [created()])
    assert diff.disagreements == ()
    assert diff.rows[1].why() == "(no model)"
    assert diff.rows[0].forwarding is None
    assert "| k8s-hpa | - | - | (no model) |" in diff.render_markdown()


def test_render_markdown_is_a_pasteable_table() -> None:
    stray = created(name="other|hpa")
    diff = delivery_diff([HPA_CREATED, RESCALED, METRIC_FAILED], [created(), stray], model)
    text = diff.render_markdown()
    assert text == (
        "| What happened | Delivered (by source) | Model | Agrees | Why |\n"
        "|---|---|---|---|---|\n"
        f"| create {HPA} demo/web | k8s-hpa | forwarded by k8s-hpa | yes | k8s-hpa watches it |\n"
        f"| Normal SuccessfulRescale {HPA} demo/web | no | not forwarded | yes "
        "| BotKube never forwards Normal events |\n"
        f"| Warning FailedGetResourceMetric {HPA} demo/web (x3) | no | forwarded by k8s-hpa "
        "| NO | the model predicts delivery by k8s-hpa, but nothing arrived |\n"
        "\n"
        "3 happened, 1 delivered, 2 not delivered, 1 disagreeing with the model; "
        "unmatched deliveries: 1.\n"
        "\n"
        "Deliveries matching nothing that happened:\n"
        "\n"
        "- `[k8s-hpa] create HorizontalPodAutoscaler demo/other|hpa`\n"
    )


def test_render_markdown_escapes_pipes_in_cells() -> None:
    odd = Happening(resource=HPA, name="a|b", namespace="demo", action="create")
    assert "demo/a\\|b" in delivery_diff([odd], [], model).render_markdown()


def test_render_text_aligns_columns() -> None:
    diff = delivery_diff([HPA_CREATED, RESCALED], [created(), metric_error()], model)
    lines = diff.render_text().splitlines()
    assert lines[0].startswith("WHAT HAPPENED")
    column = lines[0].index("DELIVERED")
    assert lines[1][column:].startswith("k8s-hpa")
    assert lines[2][column:].startswith("no ")
    assert lines[-2].startswith("2 happened, 1 delivered, 1 not delivered, 0 disagreeing")
    assert lines[-1] == (
        "unmatched delivery: [k8s-hpa] error HorizontalPodAutoscaler demo/web "
        "reason=FailedGetResourceMetric"
    )


def test_empty_diff_renders() -> None:
    diff = delivery_diff([], [], model)
    assert "(nothing happened)" in diff.render_markdown()
    assert diff.render_text().splitlines()[-1].startswith("0 happened")


# --------------------------------------------------------------------------- with the real model


def _values(hpa_config: dict[str, object]) -> dict[str, object]:
    def source(config: dict[str, object]) -> dict[str, object]:
        return {"botkube/kubernetes": {"enabled": True, "context": CONTEXT, "config": config}}

    return {
        "sources": {
            "k8s-deployments": source(
                {
                    "namespaces": {"include": [".*"]},
                    "event": {"types": ["create"]},
                    "resources": [{"type": DEPLOY}],
                }
            ),
            "k8s-hpa": source(hpa_config),
        },
        "communications": {
            "default-group": {
                "webhook": {
                    "enabled": True,
                    "url": "http://127.0.0.1:1/",
                    "bindings": {"sources": ["k8s-deployments", "k8s-hpa"]},
                }
            }
        },
    }


HAPPENED = [DEPLOY_CREATED, HPA_CREATED, RESCALED, METRIC_FAILED]


def test_real_model_crash_explains_every_miss() -> None:
    # #1474: resources without a top-level event -> the shared plugin process panics
    crash = analyze(
        _values({"namespaces": {"include": [".*"]}, "resources": [{"type": HPA}]}), "v1.13.0"
    )
    diff = delivery_diff(HAPPENED, [], crash)
    assert [row.delivered for row in diff.rows] == [False] * 4
    assert diff.disagreements == ()
    assert "panics in mergeResourceEvents" in diff.rows[0].why()
    assert diff.rows[0].why().startswith("not delivered")  # the restated happening is dropped


def test_real_model_on_the_fixed_version_flags_missing_deliveries() -> None:
    fixed = analyze(
        _values(
            {
                "namespaces": {"include": [".*"]},
                "event": {"types": ["create", "error"]},
                "resources": [{"type": HPA}],
            }
        ),
        "v1.14.0",
    )
    delivered = [
        Delivery(
            sources=("k8s-deployments",),
            type="create",
            name="web",
            namespace="demo",
            resource=DEPLOY,
        ),
        Delivery(sources=("k8s-hpa",), type="create", name="web", namespace="demo", resource=HPA),
    ]
    diff = delivery_diff(HAPPENED, delivered, fixed)
    assert [row.delivered for row in diff.rows] == [True, True, False, False]
    # Normal events: agreed not delivered; the Warning was predicted but did not arrive
    (row,) = diff.disagreements
    assert row.happening == METRIC_FAILED
    assert row.disagreement == "the model predicts delivery by k8s-hpa, but nothing arrived"
    assert "never forwards Normal" in diff.rows[2].why()
