"""Entry point of the app window (``mlxstudio`` / ``python -m mlxstudio``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Open the main window (filled in by the main-window work)."""
    print("MLX Studio window: not built yet", file=sys.stderr)
    return 1
