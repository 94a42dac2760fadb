"""Image references as Docker reads them: the one parser the doctor, release and values share."""

from __future__ import annotations

import pytest

from pytest_botkube.model.images import parse_image


@pytest.mark.parametrize(
    ("ref", "name", "tag", "digest", "registry", "repository"),
    [
        (
            "ghcr.io/kubeshop/botkube:v1.13.0",
            "ghcr.io/kubeshop/botkube",
            "v1.13.0",
            None,
            "ghcr.io",
            "kubeshop/botkube",
        ),
        (
            "ghcr.io/kubeshop/botkube:v1.13.0@sha256:abc",
            "ghcr.io/kubeshop/botkube",
            "v1.13.0",
            "sha256:abc",
            "ghcr.io",
            "kubeshop/botkube",
        ),
        (
            "ghcr.io/kubeshop/botkube@sha256:abc",
            "ghcr.io/kubeshop/botkube",
            None,
            "sha256:abc",
            "ghcr.io",
            "kubeshop/botkube",
        ),
        (
            "localhost:5000/botkube",
            "localhost:5000/botkube",
            None,
            None,
            "localhost:5000",
            "botkube",
        ),
        ("localhost:5000/bk:dev", "localhost:5000/bk", "dev", None, "localhost:5000", "bk"),
        ("localhost/bk", "localhost/bk", None, None, "localhost", "bk"),
        ("me/botkube:fix", "me/botkube", "fix", None, "docker.io", "me/botkube"),
        ("botkube", "botkube", None, None, "docker.io", "library/botkube"),
        ("botkube:", "botkube", None, None, "docker.io", "library/botkube"),
    ],
)
def test_parse_image(
    ref: str, name: str, tag: str | None, digest: str | None, registry: str, repository: str
) -> None:
    image = parse_image(ref)
    assert (image.name, image.tag, image.digest) == (name, tag, digest)
    assert (image.registry, image.repository) == (registry, repository)
