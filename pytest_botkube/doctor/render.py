"""The doctor's report for people (text) and for tools (JSON), both from the scrubbed JSON."""

from __future__ import annotations

import json

from pytest_botkube.doctor.examine import PLUGIN, DoctorReport


def render_json(report: DoctorReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False)


def render_text(report: DoctorReport) -> str:
    """The report for people, built from the scrubbed JSON so both outputs hide the same."""
    data = report.to_json()
    out: list[str] = [f"BotKube doctor: {data['cluster']}"]

    def row(label: str, value: str) -> None:
        out.append(f"  {label:<11} {value}")

    release = f" (release {data['release']})" if data["release"] else ""
    row("Deployment", f"{data['namespace']}/{data['deployment']}{release}")
    row("Version", f"{data['botkube_version'] or 'unknown'} (image {data['image']})")
    row("Kubernetes", data["kubernetes_version"] or "unknown")
    pod = data["pod"]
    if pod is not None:
        last = ""
        if pod["last_exit_code"] is not None:
            last = f", last exit {pod['last_exit_code']} {pod['last_reason'] or ''}".rstrip()
        ready = "ready" if pod["ready"] else "not ready"
        row("Pod", f"{pod['name']} {pod['phase']}, {ready}, {pod['restarts']} restarts{last}")
    out.append("  Config      (the Secret's values are never read into this report)")
    out.extend(f"    {f}" for f in data["config_files"])

    predicted = data["predicted"]
    out.append("")
    if predicted is None:
        out.append("Predicted: no prediction (see problems)")
    else:
        out.append(
            f"Predicted ({predicted['botkube_version']}, Kubernetes "
            f"{predicted['kubernetes_version']}): {PLUGIN} process {predicted['verdict']}"
        )
        for source in predicted["sources"]:
            if not source["started"] and not source["findings"]:
                continue
            state = source["verdict"] if source["started"] else f"{source['verdict']}, not started"
            out.append(f"  {source['name']}: {state}")
            for finding in source["findings"]:
                if finding["severity"] == "info":
                    continue
                out.append(
                    f"    {finding['code']} {finding['severity']} {finding['path']}: "
                    f"{finding['message']}"
                )
    out.append("")
    out.append("Observed:")
    healthz = data["healthz"]
    if healthz is None:
        out.append("  /healthz: not read")
    else:
        plugins = (
            ", ".join(
                f"{alias} {p['status']} {p['restarts']} restarts"
                for alias, p in healthz["plugins"].items()
            )
            or "no plugins"
        )
        out.append(f"  /healthz (port {healthz['port']}): botkube {healthz['botkube']}; {plugins}")
    log = data["log"]
    read = " + ".join(log["read"]) or "none"
    out.append(f"  log ({read}, {log['lines']} lines):")
    for name, t in log["plugins"].items():
        extra = f", exit statuses {sorted(set(t['exit_statuses']))}" if t["exit_statuses"] else ""
        panic = t["panic"]
        if panic is not None:
            extra += f", panic: {panic['message']}"
            if panic["function"]:
                extra += f" in {panic['function']} ({panic['location']})"
        ratio = f"{t['restarts']}/{t['threshold']}" if t["threshold"] else str(t["restarts"])
        out.append(f"    {name}: {t['status']}, {ratio} restarts{extra}")
    sinks = log["sink_failures"]
    if sinks["count"]:
        out.append(f"    sink send failures: {sinks['count']}, first: {sinks['first'][0]}")
    observed = data["observed"]
    if observed is not None:
        out.append(f"  {PLUGIN}: {observed['sentence']}")
        out.extend(f"    note: {n}" for n in observed["notes"])
    known = data["known_issue"]
    out.append("")
    if known is None:
        out.append("Known issue: none of the catalogued upstream failures matches the log")
    else:
        fixed = f", fixed in {known['fixed_in']}" if known["fixed_in"] else ", not fixed upstream"
        out.append(f"Known issue: {known['ref']} {known['title']} ({known['url']}{fixed})")
        out.append(f"  {known['certainty']}: {known['evidence']}")
    if data["fixes"]:
        out.append("")
        out.append("Fix:")
        out.extend(f"  - {f}" for f in data["fixes"])
    if data["notes"]:
        out.append("")
        out.extend(f"Note: {n}" for n in data["notes"])
    out.append("")
    if data["problems"]:
        out.append(f"Result: PROBLEM (exit {data['exit_code']})")
        out.extend(f"  - {p}" for p in data["problems"])
    else:
        out.append("Result: healthy, and predicted healthy (exit 0)")
    return "\n".join(out) + "\n"
