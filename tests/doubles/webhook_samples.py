"""BotKube-shaped webhook bodies, written from the upstream structs, shared by the payload
and receiver tests."""

from __future__ import annotations

import json

# Written from the upstream structs (pkg/sink/webhook.go, internal/source/kubernetes/event):
# the data map went through JSON into a Go `any`, so its keys are sorted and empty lists null.
HPA_CREATE = b"""{"source":"k8s-hpa","data":{"APIVersion":"autoscaling/v2","Action":"",
"Cluster":"botkube-repro","Count":0,"Kind":"HorizontalPodAutoscaler","Level":"success",
"Messages":null,"Name":"web","Namespace":"demo","Reason":"","Recommendations":null,
"Resource":"autoscaling/v2/horizontalpodautoscalers","TimeStamp":"2026-11-29T00:10:04Z",
"Title":"autoscaling/v2/horizontalpodautoscalers created","Type":"create","Warnings":null},
"timeStamp":"0001-01-01T00:00:00Z"}"""

HPA_METRIC_ERROR = json.dumps(
    {
        "source": "k8s-hpa",
        "data": {
            "APIVersion": "autoscaling/v2",
            "Action": "",
            "Cluster": "botkube-repro",
            "Count": 3.0,  # float64 on the Go side; may be written as 3 or 3.0
            "Kind": "HorizontalPodAutoscaler",
            "Level": "error",
            "Messages": [
                "failed to get cpu utilization: unable to get metrics for resource cpu: "
                "unable to fetch metrics from resource metrics API: the server could not find "
                "the requested resource (get pods.metrics.k8s.io)"
            ],
            "Name": "web",
            "Namespace": "demo",
            "Reason": "FailedGetResourceMetric",
            "Recommendations": None,
            "Resource": "autoscaling/v2/horizontalpodautoscalers",
            "TimeStamp": "2026-11-29T00:10:34Z",
            "Title": "autoscaling/v2/horizontalpodautoscalers error",
            "Type": "error",
            "Warnings": None,
        },
        "timeStamp": "0001-01-01T00:00:00Z",
    }
).encode()
