"""``botkube-repro mirror DIR``: prepare an air-gapped run (images, chart, plugin index + archives).

The logic is in :mod:`pytest_botkube.mirror.bundle`; this module only maps flags onto a
``MirrorRequest``, prints progress and says how to use the result on the offline machine.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from pytest_botkube.errors import BadInput
from pytest_botkube.mirror.bundle import (
    DEFAULT_BASE_URL,
    DEFAULT_PLATFORMS,
    MirrorRequest,
    mirror,
    rebase,
)
from pytest_botkube.settings import check_tool_path

HELP = "download what an air-gapped run needs: images, the chart, the plugin index and plugins"

EXIT_CODES = {
    0: "the mirror was written (or, with --rebase, its index pointed at the new URL)",
    1: "a download is not what the index or chart repository says (checksum), or docker save "
    "failed",
    3: "a download failed (no network, HTTP error other than 404) or Docker is unavailable",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=Path, help="where to put the mirror")
    # Exactly one of the two: a new mirror of a version, or an existing mirror re-pointed.
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--botkube-version",
        metavar="V",
        help="BotKube version to mirror, e.g. v1.13.0 (one of --botkube-version or --rebase)",
    )
    what.add_argument(
        "--rebase",
        metavar="URL",
        help="instead, only point an existing mirror's index at URL (on the offline machine); "
        "no downloads, the download options are ignored",
    )
    parser.add_argument(
        "--kind-node-image",
        metavar="IMAGE",
        help="also save this kind node image (load it with `docker load` offline)",
    )
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="IMAGE",
        help="also save this image (repeatable), e.g. a candidate fix build",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="mirror only this plugin (repeatable, e.g. kubernetes); default: every plugin",
    )
    parser.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="OS/ARCH",
        help=f"plugin platform of the kind nodes (repeatable; default {DEFAULT_PLATFORMS[0]})",
    )
    parser.add_argument(
        "--plugin-index",  # as run spells the plugin index setting (pytest: --botkube-...)
        dest="plugin_index_url",
        metavar="URL",
        help="index to mirror (default: the BotKube release's plugins-index.yaml)",
    )
    parser.add_argument("--plugin-index-url", dest="plugin_index_url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--plugin-base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help="URL the offline cluster will reach DIR/plugins at; the local index points there "
        f"(default {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--chart",
        metavar="REPO|TGZ",
        help="where the chart comes from: a Helm repository URL or a .tgz file or URL (default: "
        "the run's sha256-pinned sources, charts.botkube.io then its gh-pages copies on GitHub)",
    )
    parser.add_argument("--docker", metavar="PATH", help="docker executable (default: PATH)")
    parser.add_argument("--no-images", action="store_true", help="skip docker pull/save")
    parser.add_argument("--no-chart", action="store_true", help="skip the chart")


def _version(text: str) -> str:
    text = text.strip()
    return f"v{text}" if re.fullmatch(r"\d+\.\d+\.\d+.*", text) else text


def run(args: argparse.Namespace) -> int:
    if args.rebase:
        index_url = rebase(args.directory, args.rebase)
        print(f"plugin index for the agent: {index_url} (--botkube-plugin-index)")
        return 0
    if not args.botkube_version:  # argparse requires one of the two; a namespace built otherwise
        raise BadInput("--botkube-version is required (e.g. v1.13.0), unless --rebase is given")
    if args.docker and not args.no_images:
        try:
            check_tool_path(args.docker)
        except ValueError as exc:
            raise BadInput(f"--docker: {exc}") from None
    images = tuple(args.image) + ((args.kind_node_image,) if args.kind_node_image else ())
    request = MirrorRequest(
        directory=args.directory,
        botkube_version=_version(args.botkube_version),
        images=images,
        plugins=tuple(args.plugin),
        platforms=tuple(args.platform) or DEFAULT_PLATFORMS,
        index_url=args.plugin_index_url or "",
        base_url=args.plugin_base_url,
        chart=args.chart,
        with_images=not args.no_images,
        with_chart=not args.no_chart,
    )
    result = mirror(request, dict(os.environ), docker=args.docker, progress=print)
    root = request.directory
    index_url = result.manifest["plugin_index"]["url"]
    print(f"mirror ready in {root} ({len(result.files)} files, sha256 in {root}/SHA256SUMS)")
    print("offline:")
    print(f"  cd {root} && sha256sum -c SHA256SUMS")
    print(
        f"  python3 -m http.server PORT --bind 0.0.0.0 --directory {root}/plugins"
        f"  # reachable from the cluster as {request.base_url}"
    )
    print(f"  botkube-repro mirror {root} --rebase URL  # if the offline address differs")
    print(f"  plugin index for the agent: {index_url} (--botkube-plugin-index)")
    for image in result.manifest.get("images", []):
        archive = root / image["path"]
        if image["image"] == args.kind_node_image:
            print(f"  docker load --input {archive}  # node image, before `kind create cluster`")
        else:
            print(f"  kind load image-archive {archive}  # {image['image']}")
    if "chart" in result.manifest:
        chart = root / result.manifest["chart"]["path"]
        print(f"  chart: {chart}  # --botkube-chart {chart} (botkube-repro run: --chart)")
    return 0
