"""manifests/doctor-rbac.yaml: parses, is read-only, and covers every read the doctor makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifests" / "doctor-rbac.yaml"

# (API group, resource, verb) for every call in pytest_botkube/doctor/inspect.py except the
# cluster-wide Deployment list (a Role cannot grant it; the doctor then falls back to namespaces).
DOCTOR_READS = {
    ("apps", "deployments", "list"),
    ("apps", "deployments", "get"),
    ("", "pods", "list"),
    ("", "configmaps", "get"),
    ("", "secrets", "get"),
    ("", "pods/log", "get"),
    ("", "pods/proxy", "get"),
}


def load() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")) if d]
    by_kind = {d["kind"]: d for d in docs}
    assert len(by_kind) == len(docs) == 3
    return by_kind


def allows(role: dict[str, Any], group: str, resource: str, verb: str) -> bool:
    return any(
        group in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verb in rule.get("verbs", [])
        for rule in role["rules"]
    )


def test_manifest_is_a_service_account_role_and_binding_in_one_namespace() -> None:
    docs = load()
    assert set(docs) == {"ServiceAccount", "Role", "RoleBinding"}
    namespaces = {d["metadata"]["namespace"] for d in docs.values()}
    assert namespaces == {"botkube"}
    binding = docs["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": docs["Role"]["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": docs["ServiceAccount"]["metadata"]["name"],
            "namespace": "botkube",
        }
    ]


def test_role_is_read_only_and_covers_every_doctor_read() -> None:
    role = load()["Role"]
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs <= {"get", "list"}
    missing = [read for read in sorted(DOCTOR_READS) if not allows(role, *read)]
    assert missing == []
    # pods/log and pods/proxy are only ever read with GET on a named pod: no list needed.
    assert not allows(role, "", "pods/log", "list")
