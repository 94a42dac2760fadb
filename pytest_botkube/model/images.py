"""Container image references, read the way Docker reads them.

Three places need a piece of an image reference: the doctor (the tag the agent runs), the
release (the chart's ``image.repository`` and ``image.tag`` for ``--botkube-image``) and the
values (the chart's separate ``image.registry``). One parser serves them, so
``localhost:5000/botkube:fix`` means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]path[:tag][@digest]``; ``name`` is the part before the tag, as written."""

    name: str
    tag: str | None
    digest: str | None

    @property
    def registry(self) -> str:
        """A first component with a dot, a colon or ``localhost`` is a registry; else Docker Hub."""
        first, sep, _ = self.name.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            return first
        return DOCKER_HUB

    @property
    def repository(self) -> str:
        """The path inside the registry; Docker Hub's one-word names live under ``library/``."""
        first, sep, rest = self.name.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            return rest
        return self.name if sep else f"library/{self.name}"


def parse_image(ref: str) -> ImageRef:
    """``ghcr.io/kubeshop/botkube:v1.13.0@sha256:...`` -> name, tag ``v1.13.0``, the digest.

    A colon counts as a tag only after the last ``/`` (``localhost:5000/botkube`` has none).
    """
    name, _, digest = ref.strip().partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag: str | None = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return ImageRef(name=name, tag=tag or None, digest=digest or None)


def chart_image(ref: str) -> tuple[str, str]:
    """``ghcr.io/me/botkube:fix-1474`` -> (``ghcr.io/me/botkube``, ``fix-1474``) for the chart's
    ``image.repository``/``image.tag``; no tag is ``latest``, as for ``docker pull`` and
    ``kind load docker-image``. ValueError for a digest (the chart builds
    ``registry/repository:tag``, a digest cannot be expressed) or an empty name."""
    image = parse_image(ref)
    if image.digest is not None:
        raise ValueError(f"{ref!r}: use REPOSITORY:TAG, the chart cannot take a digest")
    if not image.name:
        raise ValueError(f"{ref!r}: expected REPOSITORY[:TAG], e.g. localhost/botkube:dev")
    return image.name, image.tag or "latest"
