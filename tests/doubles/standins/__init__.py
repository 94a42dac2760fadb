"""Stand-in kind, helm, docker and kubectl, installed as executables into a bin directory.

Each installed executable is a two-line launcher whose shebang is the running interpreter;
it puts this repository's ``tests`` directory on ``sys.path`` and calls the module's ``main``,
so the stand-ins need nothing but the test environment and are found first on ``PATH``.
"""

from __future__ import annotations

import sys
from pathlib import Path

TOOLS = ("kind", "helm", "docker", "kubectl")
TESTS_DIR = Path(__file__).resolve().parents[2]


def install(
    bin_dir: Path, tools: tuple[str, ...] = TOOLS, python: str = sys.executable
) -> dict[str, Path]:
    """Write launchers for ``tools`` into ``bin_dir``; return their paths by tool name."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    installed = {}
    for tool in tools:
        if tool not in TOOLS:
            raise ValueError(f"no stand-in for {tool!r}")
        path = bin_dir / tool
        path.write_text(
            f"#!{python}\n"
            "import sys\n"
            f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
            f"from doubles.standins.{tool} import main\n"
            "sys.exit(main(sys.argv[1:]))\n",
            encoding="utf-8",
        )
        path.chmod(0o755)
        installed[tool] = path
    return installed
