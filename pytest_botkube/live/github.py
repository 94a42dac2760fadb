"""Fetch a GitHub issue and its comments as one Markdown report (``triage --github``).

GitHub REST API: ``GET /repos/{owner}/{repo}/issues/{number}`` and
``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=100&page=N`` with
``Accept: application/vnd.github+json`` and ``X-GitHub-Api-Version: 2022-11-28``; a token from
``GITHUB_TOKEN`` goes in ``Authorization: Bearer``. A primary rate limit answers 403 or 429
with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` (epoch seconds), a secondary one
with ``retry-after``; a missing or private issue answers 404. Each becomes one line.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_botkube import __version__
from pytest_botkube.errors import BadInput, EnvironmentUnavailable

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 20.0
MAX_COMMENT_PAGES = 10  # 1,000 comments: more than any bug thread
MAX_BODY = 8 << 20

_REF = re.compile(
    r"^(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/(?P<repo>[A-Za-z0-9._-]{1,100})#(?P<n>\d{1,9})$"
)


@dataclass(frozen=True)
class IssueRef:
    owner: str
    repo: str
    number: int

    def __str__(self) -> str:
        return f"{self.owner}/{self.repo}#{self.number}"

    @property
    def html_url(self) -> str:
        return f"https://github.com/{self.owner}/{self.repo}/issues/{self.number}"


def parse_issue_ref(text: str) -> IssueRef:
    m = _REF.match(text.strip())
    if m is None:
        raise BadInput(f"--github {text!r}: expected OWNER/REPO#NUMBER, e.g. kubeshop/botkube#1474")
    return IssueRef(m["owner"], m["repo"], int(m["n"]))


def _rate_limited(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("x-ratelimit-remaining") == "0":
        reset = lowered.get("x-ratelimit-reset", "")
        when = ""
        if reset.isdigit():
            when = time.strftime(" until %H:%M:%S UTC", time.gmtime(int(reset)))
        return f"rate limit exhausted{when}; set GITHUB_TOKEN for 5,000 requests an hour"
    if "retry-after" in lowered:
        return f"secondary rate limit; retry after {lowered['retry-after']} s"
    return None


def _get(url: str, token: str | None, what: str) -> Any:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"pytest-botkube/{__version__}",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # fetch_issue checked the scheme: http(s) only
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        limited = _rate_limited(dict(exc.headers.items())) if exc.code in (403, 429) else None
        if limited:
            raise EnvironmentUnavailable(f"GitHub API: {what}: {limited}") from None
        if exc.code == 404:
            raise BadInput(
                f"GitHub API: {what}: not found (404): no such issue, or a private repository "
                "GITHUB_TOKEN cannot read"
            ) from None
        if exc.code == 410:
            raise BadInput(f"GitHub API: {what}: the issue was deleted (410)") from None
        if exc.code == 401:
            raise BadInput(f"GitHub API: {what}: GITHUB_TOKEN was refused (401)") from None
        raise EnvironmentUnavailable(f"GitHub API: {what}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EnvironmentUnavailable(f"GitHub API: {what}: cannot connect: {reason}") from None
    if len(body) > MAX_BODY:
        raise EnvironmentUnavailable(f"GitHub API: {what}: answer larger than {MAX_BODY} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise EnvironmentUnavailable(f"GitHub API: {what}: the answer is not JSON") from None


def fetch_issue(
    ref: IssueRef, *, token: str | None = None, api: str = DEFAULT_API
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The issue object and its comments, oldest first."""
    if not api.startswith(("https://", "http://")):
        raise BadInput(f"GitHub API URL {api!r}: expected http:// or https://")
    base = f"{api.rstrip('/')}/repos/{ref.owner}/{ref.repo}/issues/{ref.number}"
    issue = _get(base, token, str(ref))
    if not isinstance(issue, dict):
        raise EnvironmentUnavailable(f"GitHub API: {ref}: the issue is not a JSON object")
    comments: list[dict[str, Any]] = []
    wanted = issue.get("comments")
    for page in range(1, MAX_COMMENT_PAGES + 1):
        if isinstance(wanted, int) and len(comments) >= wanted:
            break
        batch = _get(f"{base}/comments?per_page=100&page={page}", token, f"{ref} comments")
        if not isinstance(batch, list) or not batch:
            break
        comments += [c for c in batch if isinstance(c, dict)]
        if len(batch) < 100:
            break
    return issue, comments
