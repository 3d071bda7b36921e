#!/usr/bin/env bash
# Build the macOS app icon, build/icons/MLXStudio.icns, from resources/icon/mlxstudio.svg.
#   1. packaging/make_icons.py renders build/icons/MLXStudio.iconset (the ten PNGs iconutil expects, drawn on
#      Apple's icon grid) with Qt's SVG renderer, and also writes a PNG-based .icns itself.
#   2. On macOS, Apple's `iconutil -c icns` then rebuilds the .icns from the .iconset (the reference tool);
#      elsewhere the .icns from step 1 is kept (same PNG chunks; checked by tests/test_packaging.py).
# Usage: packaging/make_icns.sh [python]   (default: .venv/bin/python, else python3; PySide6 must be importable)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
"$PY" packaging/make_icons.py --icns --out-dir build/icons
if command -v iconutil >/dev/null 2>&1; then
  iconutil -c icns build/icons/MLXStudio.iconset -o build/icons/MLXStudio.icns
  echo "iconutil: wrote build/icons/MLXStudio.icns"
else
  echo "iconutil not found (not macOS): keeping the .icns written by make_icons.py"
fi
