"""``download_file``: the one streamed, digest-checked download (kind/helm pins, the mirror)."""

import hashlib
from pathlib import Path

import pytest

from pytest_botkube.live.download import DownloadFailed, WrongDigest, download_file

DATA = b"a plugin archive\n" * 10_000  # several read chunks


@pytest.fixture
def served(tmp_path: Path) -> str:
    source = tmp_path / "served" / "archive.tar.gz"
    source.parent.mkdir()
    source.write_bytes(DATA)
    return source.as_uri()


def test_a_matching_digest_saves_the_file_and_returns_its_sha256(served: str, tmp_path: Path):
    target = tmp_path / "out" / "archive.tar.gz"
    expected = ("sha512", hashlib.sha512(DATA).hexdigest())
    sha256 = download_file(served, target, timeout=5, expected=expected, schemes=("file",))
    assert sha256 == hashlib.sha256(DATA).hexdigest()
    assert target.read_bytes() == DATA
    assert sorted(p.name for p in target.parent.iterdir()) == ["archive.tar.gz"]


def test_a_wrong_digest_leaves_nothing_behind(served: str, tmp_path: Path):
    target = tmp_path / "out" / "archive.tar.gz"
    with pytest.raises(WrongDigest) as info:
        download_file(served, target, timeout=5, expected=("sha256", "0" * 64), schemes=("file",))
    assert info.value.actual == hashlib.sha256(DATA).hexdigest()
    assert info.value.expected == "0" * 64
    assert list(target.parent.iterdir()) == []


def test_a_missing_source_is_a_failed_download_without_a_partial_file(tmp_path: Path):
    target = tmp_path / "out" / "x"
    missing = (tmp_path / "nope").as_uri()
    with pytest.raises(DownloadFailed) as info:
        download_file(missing, target, timeout=5, schemes=("file",))
    assert info.value.status is None
    assert info.value.url == missing
    assert list(target.parent.iterdir()) == []


def test_a_scheme_not_allowed_is_refused_before_anything_is_opened(served: str, tmp_path: Path):
    with pytest.raises(ValueError, match="refusing a file download"):
        download_file(served, tmp_path / "out" / "x", timeout=5)
    assert not (tmp_path / "out").exists()


def test_two_concurrent_downloads_of_one_target_both_succeed(tmp_path: Path):
    """Two xdist workers filling one cache: each writes its own half file, so neither renames
    or removes the other's (with a shared ``<name>.partial`` one of them failed)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    both_started = threading.Barrier(2, timeout=5)

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA[:100])
            self.wfile.flush()
            both_started.wait()  # both half files exist now
            self.wfile.write(DATA[100:])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.yaml"
    target = tmp_path / "cache" / "index.yaml"
    results: list[object] = []

    def fetch() -> None:
        try:
            results.append(download_file(url, target, timeout=10, schemes=("http",)))
        except Exception as exc:  # recorded, asserted below
            results.append(exc)

    workers = [threading.Thread(target=fetch) for _ in range(2)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10)
    finally:
        server.shutdown()
        server.server_close()
    assert results == [hashlib.sha256(DATA).hexdigest()] * 2
    assert target.read_bytes() == DATA
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.yaml"]


def test_a_download_gets_the_mode_any_new_file_gets(served: str, tmp_path: Path):
    """The half file is renamed into place, so its mode is the target's: a mirror directory
    copied to or served from another host must be as readable as a plainly written file
    (mkstemp's 0600 would have made it private)."""
    target = tmp_path / "out" / "archive.tar.gz"
    download_file(served, target, timeout=5, schemes=("file",))
    plain = target.parent / "plain"
    plain.write_bytes(b"")
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
