"""Render MLX Studio's icons from the one SVG source, ``resources/icon/mlxstudio.svg``.

Outputs
- ``mlxstudio/resources/icons/mlxstudio-<N>.png`` (N = 16 … 512) and ``mlxstudio.svg``: the window icon and the Linux
  launcher icons (full-bleed tile). These are committed; rerun this script after editing the SVG.
- ``build/icons/MLXStudio.iconset/`` (the ten files ``iconutil`` expects) and ``build/icons/MLXStudio.icns``: the macOS
  app icon, drawn on Apple's icon grid (the tile is 824/1024 of the canvas, with a soft shadow). On a Mac,
  ``packaging/make_icns.sh`` rebuilds the ``.icns`` with ``iconutil``; the writer here (PNG-based ICNS, what iconutil
  itself produces on macOS ≥ 10.8) lets the build and the tests run anywhere.

Rendering uses Qt's own SVG renderer (PySide6 is already a dependency), offscreen — no new packages.

Usage: ``python packaging/make_icons.py [--app-icons] [--icns] [--out-dir build/icons]`` (no flag: both).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parent.parent
SVG_SOURCE = ROOT / "resources" / "icon" / "mlxstudio.svg"
APP_ICON_DIR = ROOT / "mlxstudio" / "resources" / "icons"
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
BUILD_DIR = ROOT / "build" / "icons"
ICONSET_NAME = "MLXStudio.iconset"
ICNS_NAME = "MLXStudio.icns"

# iconutil's file names → pixel size, and the ICNS chunk type each becomes.
ICONSET_FILES: dict[str, tuple[int, str]] = {
    "icon_16x16.png": (16, "icp4"),
    "icon_16x16@2x.png": (32, "ic11"),
    "icon_32x32.png": (32, "icp5"),
    "icon_32x32@2x.png": (64, "ic12"),
    "icon_128x128.png": (128, "ic07"),
    "icon_128x128@2x.png": (256, "ic13"),
    "icon_256x256.png": (256, "ic08"),
    "icon_256x256@2x.png": (512, "ic14"),
    "icon_512x512.png": (512, "ic09"),
    "icon_512x512@2x.png": (1024, "ic10"),
}

# Apple's macOS 11+ app icon grid on a 1024 canvas: an 824 x 824 tile centred, 100 px margin, shadow below.
MAC_TILE = 824 / 1024
MAC_SHADOW_OFFSET = 12 / 1024
MAC_SHADOW_OPACITY = 0.38


def _qt() -> tuple[ModuleType, ModuleType, ModuleType]:
    """Import Qt lazily (offscreen) and make sure a QGuiApplication exists."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtGui, QtSvg

    if QtGui.QGuiApplication.instance() is None:
        _qt.app = QtGui.QGuiApplication([sys.argv[0]])  # type: ignore[attr-defined]
    return QtCore, QtGui, QtSvg


def render_svg(svg: Path, size: int) -> QImage:
    """Render ``svg`` into a transparent ``size`` x ``size`` QImage (antialiased)."""
    QtCore, QtGui, QtSvg = _qt()
    renderer = QtSvg.QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"error: {svg} is not a valid SVG (Qt could not parse it)")
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QtCore.QRectF(0, 0, size, size))
    painter.end()
    return image


def render_macos(svg: Path, size: int) -> QImage:
    """The macOS variant: the tile at 824/1024 of the canvas over a blurred drop shadow."""
    QtCore, QtGui, _ = _qt()
    big = max(size, 256)  # draw large, then scale down: the blur and the edges stay smooth at 16 px
    tile = round(big * MAC_TILE)
    margin = (big - tile) / 2
    art = render_svg(svg, tile)

    # shadow: the tile's alpha, blackened, blurred by a down-then-up scale
    shadow = QtGui.QImage(big, big, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    shadow.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(shadow)
    p.drawImage(QtCore.QPointF(margin, margin + big * MAC_SHADOW_OFFSET), art)
    p.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_SourceIn)
    p.fillRect(shadow.rect(), QtGui.QColor(0, 0, 0))
    p.end()
    smooth = QtCore.Qt.TransformationMode.SmoothTransformation
    small = shadow.scaled(max(big // 24, 8), max(big // 24, 8), QtCore.Qt.AspectRatioMode.IgnoreAspectRatio, smooth)
    shadow = small.scaled(big, big, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio, smooth)

    canvas = QtGui.QImage(big, big, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(canvas)
    p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    p.setOpacity(MAC_SHADOW_OPACITY)
    p.drawImage(0, 0, shadow)
    p.setOpacity(1.0)
    p.drawImage(QtCore.QPointF(margin, margin), art)
    p.end()
    if big != size:
        canvas = canvas.scaled(size, size, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio, smooth)
    return canvas


def _save_png(image: QImage, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    if not image.save(str(tmp), "PNG"):
        raise SystemExit(f"error: could not write {path}")
    os.replace(tmp, path)


def write_app_icons(svg: Path = SVG_SOURCE, out_dir: Path = APP_ICON_DIR) -> list[Path]:
    """Write the full-bleed PNGs (window icon, Linux launcher) and a copy of the SVG into ``out_dir``."""
    written = []
    for size in APP_ICON_SIZES:
        path = out_dir / f"mlxstudio-{size}.png"
        _save_png(render_svg(svg, size), path)
        written.append(path)
    svg_copy = out_dir / "mlxstudio.svg"
    svg_copy.write_bytes(svg.read_bytes())
    written.append(svg_copy)
    return written


def write_iconset(svg: Path = SVG_SOURCE, out_dir: Path = BUILD_DIR) -> Path:
    """Write ``MLXStudio.iconset/`` (the input of macOS ``iconutil -c icns``) into ``out_dir``."""
    iconset = out_dir / ICONSET_NAME
    iconset.mkdir(parents=True, exist_ok=True)
    cache: dict[int, QImage] = {}
    for name, (size, _kind) in ICONSET_FILES.items():
        if size not in cache:
            cache[size] = render_macos(svg, size)
        _save_png(cache[size], iconset / name)
    return iconset


def write_icns(iconset: Path, icns: Path) -> Path:
    """Pack an ``.iconset`` folder into an ``.icns`` file (PNG chunks, the format iconutil writes)."""
    chunks = b""
    for name, (_size, kind) in ICONSET_FILES.items():
        data = (iconset / name).read_bytes()
        chunks += kind.encode("ascii") + struct.pack(">I", len(data) + 8) + data
    icns.parent.mkdir(parents=True, exist_ok=True)
    tmp = icns.with_name(icns.name + ".tmp")
    tmp.write_bytes(b"icns" + struct.pack(">I", len(chunks) + 8) + chunks)
    os.replace(tmp, icns)
    return icns


def read_icns(icns: Path) -> dict[str, bytes]:
    """Parse an ``.icns`` file into ``{chunk type: data}`` (used by the tests and as a sanity check)."""
    blob = icns.read_bytes()
    if blob[:4] != b"icns" or struct.unpack(">I", blob[4:8])[0] != len(blob):
        raise ValueError(f"{icns} is not an ICNS file (bad header or length)")
    out: dict[str, bytes] = {}
    pos = 8
    while pos < len(blob):
        kind = blob[pos:pos + 4].decode("ascii")
        (length,) = struct.unpack(">I", blob[pos + 4:pos + 8])
        if length < 8 or pos + length > len(blob):
            raise ValueError(f"{icns}: chunk {kind!r} at byte {pos} has a bad length {length}")
        out[kind] = blob[pos + 8:pos + length]
        pos += length
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate the app icons and/or the macOS iconset + icns."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-icons", action="store_true", help="write mlxstudio/resources/icons/*.png")
    parser.add_argument("--icns", action="store_true", help="write the .iconset and the .icns")
    parser.add_argument("--out-dir", type=Path, default=BUILD_DIR, help="where the .iconset/.icns go (build/icons)")
    parser.add_argument("--svg", type=Path, default=SVG_SOURCE, help="the SVG source")
    args = parser.parse_args(argv)
    both = not (args.app_icons or args.icns)
    if args.app_icons or both:
        for path in write_app_icons(args.svg):
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.icns or both:
        iconset = write_iconset(args.svg, args.out_dir)
        icns = write_icns(iconset, args.out_dir / ICNS_NAME)
        print(f"wrote {iconset} and {icns}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
