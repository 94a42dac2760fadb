"""One way to download a file: streamed to disk, hashed on the way, checked before it counts.

The pinned kind/helm downloads (``cluster/tools.py``) and the air-gap mirror (``mirror.py``)
both fetch archives of tens of megabytes that must match a known digest. Streaming keeps them
out of memory; writing to a private ``<name>.<random>.partial`` beside the target and renaming
only after the digest matched means a failed or tampered download never leaves a file a later
run would trust, and two processes filling one cache (pytest-xdist workers, two runs) never
write into or rename each other's half file. Each caller words its
own errors (tool hint, exit code), so this module raises plain exceptions with the facts.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Collection, Mapping
from pathlib import Path

CHUNK = 1 << 16


def user_cache_root(env: Mapping[str, str]) -> Path:
    """Where downloads are kept between runs: ``$XDG_CACHE_HOME/pytest-botkube`` (else
    ``~/.cache/pytest-botkube``): ``bin/`` for the pinned tools, ``charts/`` for charts."""
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "pytest-botkube"


def private_sibling(target: Path, suffix: str = ".partial") -> Path:
    """A new empty file beside ``target`` that no other process is given, for writing ``target``
    whole and renaming it into place: a fixed ``<name>.partial`` is shared by every process that
    fills the same cache, and one process's rename or cleanup then pulls the file from under
    another (seen with two xdist workers fetching one chart index). Created exclusively under a
    random name; not with ``mkstemp``, whose 0600 mode the rename would carry to the target (a
    mirror directory served to another host must stay readable, as before)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sibling = target.with_name(f"{target.name}.{secrets.token_hex(8)}{suffix}")
    sibling.open("xb").close()
    return sibling


class DownloadFailed(Exception):
    """The transfer did not complete; ``status`` is the HTTP code when the server sent one."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"HTTP {status}" if status is not None else reason)
        self.url = url
        self.reason = reason
        self.status = status


class WrongDigest(Exception):
    """The bytes arrived but are not the expected ones; nothing was saved."""

    def __init__(self, url: str, algorithm: str, actual: str, expected: str) -> None:
        super().__init__(f"{url} has {algorithm} {actual}, expected {expected}")
        self.url = url
        self.algorithm = algorithm
        self.actual = actual
        self.expected = expected


def download_file(
    url: str,
    destination: Path,
    *,
    timeout: float,
    expected: tuple[str, str] | None = None,
    schemes: Collection[str] = ("https",),
) -> str:
    """Stream ``url`` into ``destination`` and return the file's sha256.

    ``expected`` is ``(hashlib algorithm, hex digest)``; on a mismatch the partial file is
    removed and WrongDigest raised. A scheme outside ``schemes`` is a ValueError
    (nothing is opened); a transfer error is :class:`DownloadFailed`.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in schemes:
        raise ValueError(f"refusing a {scheme or 'scheme-less'} download: {url}")
    partial = private_sibling(destination)
    sha256 = hashlib.sha256()
    checked = hashlib.new(expected[0]) if expected is not None else None
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout) as response,  # noqa: S310 - checked
            partial.open("wb") as out,
        ):
            for chunk in iter(lambda: response.read(CHUNK), b""):
                sha256.update(chunk)
                if checked is not None:
                    checked.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DownloadFailed(url, f"HTTP {exc.code}", exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DownloadFailed(url, str(getattr(exc, "reason", exc))) from None
    except BaseException:  # Ctrl-C: no half file either
        partial.unlink(missing_ok=True)
        raise
    if expected is not None and checked is not None and checked.hexdigest() != expected[1]:
        partial.unlink(missing_ok=True)
        raise WrongDigest(url, expected[0], checked.hexdigest(), expected[1])
    partial.replace(destination)
    return sha256.hexdigest()
