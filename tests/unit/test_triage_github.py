"""``triage --github OWNER/REPO#N`` against a local HTTP server that answers as the GitHub REST
API documents (issue object, comments list, 404, primary rate limit); never the network."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_botkube.cli import main
from pytest_botkube.scenario import load_scenario

REPORTS = Path(__file__).parent.parent / "data" / "reports"


class _Api:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.routes: dict[str, tuple[int, dict[str, str], Any]] = {}


@pytest.fixture
def api() -> Iterator[tuple[str, _Api]]:
    state = _Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = state.routes.get(
                self.path, (404, {}, {"message": "Not Found", "documentation_url": "x"})
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _issue(body: str, comments: int) -> dict[str, Any]:
    return {
        "number": 1474,
        "title": "kubernetes plugin segfaults with an HPA source",
        "body": body,
        "comments": comments,
        "user": {"login": "reporter"},
        "html_url": "https://github.com/kubeshop/botkube/issues/1474",
    }


def test_issue_and_comments_are_fetched_and_triaged(
    api: tuple[str, _Api],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    url, state = api
    text = (REPORTS / "stray-fence.md").read_text()
    body, _, log = text.partition("Relevant logs:")
    state.routes["/repos/kubeshop/botkube/issues/1474"] = (200, {}, _issue(body, 1))
    state.routes["/repos/kubeshop/botkube/issues/1474/comments?per_page=100&page=1"] = (
        200,
        {},
        [{"user": {"login": "reporter"}, "created_at": "2025-01-21T09:00:00Z", "body": log}],
    )
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test_token")
    argv = ["triage", "--github", "kubeshop/botkube#1474", "--github-api-url", url]
    code = main([*argv, "--format", "json", "--write-scenario", str(tmp_path)])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "kubeshop/botkube#1474"
    assert [b["kind"] for b in data["blocks"]] == ["values", "log"]
    assert data["agreement"]["result"] == "confirms"
    scenario = load_scenario(tmp_path / "kubeshop-botkube-1474-v1.13.0.yaml")
    assert "https://github.com/kubeshop/botkube/issues/1474" in scenario.upstream
    paths = [p for p, _ in state.requests]
    assert paths == [
        "/repos/kubeshop/botkube/issues/1474",
        "/repos/kubeshop/botkube/issues/1474/comments?per_page=100&page=1",
    ]
    for _, headers in state.requests:
        assert headers["authorization"] == "Bearer ghp_test_token"
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"


def test_no_token_no_authorization_header(
    api: tuple[str, _Api], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    url, state = api
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    text = (REPORTS / "successfulrescale-question.md").read_text()
    state.routes["/repos/o/r/issues/7"] = (200, {}, _issue(text, 0))
    assert main(["triage", "--github", "o/r#7", "--github-api-url", url]) == 0
    assert "authorization" not in state.requests[0][1]
    assert len(state.requests) == 1  # no comments to fetch
    assert "v1.14.0" in capsys.readouterr().out


def test_not_found_is_one_line(api: tuple[str, _Api], capsys: pytest.CaptureFixture[str]):
    url, _ = api
    assert main(["triage", "--github", "o/r#404", "--github-api-url", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "o/r#404: not found (404)" in err


def test_rate_limit_is_one_line(api: tuple[str, _Api], capsys: pytest.CaptureFixture[str]):
    url, state = api
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225600"}
    state.routes["/repos/o/r/issues/1"] = (403, headers, {"message": "API rate limit exceeded"})
    assert main(["triage", "--github", "o/r#1", "--github-api-url", url]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "rate limit exhausted until 00:00:00 UTC; set GITHUB_TOKEN" in err


def test_bad_reference_and_both_inputs(capsys: pytest.CaptureFixture[str]):
    assert main(["triage", "--github", "kubeshop/botkube/1474"]) == 2
    assert "expected OWNER/REPO#NUMBER" in capsys.readouterr().err
    assert main(["triage", "x.md", "--github", "o/r#1"]) == 2
    assert "not both" in capsys.readouterr().err


def test_unreachable_api_is_an_environment_problem(capsys: pytest.CaptureFixture[str]):
    # a port nothing listens on (bound, then closed)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert main(["triage", "--github", "o/r#1", "--github-api-url", url]) == 3
    assert "cannot connect" in capsys.readouterr().err
