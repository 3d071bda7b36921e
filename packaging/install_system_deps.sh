#!/usr/bin/env bash
# System packages MLX Studio needs on Linux (none on macOS):
#   libopenblas0-pthread  fast BLAS for MLX's CPU backend (~30x faster matmuls than the wheel's reference BLAS)
#   fonts-noto-cjk        Chinese/Japanese/Korean glyphs in the window
#   libxcb-* / libxkbcommon-x11-0   Qt's xcb platform plugin (a real window on X11)
#   desktop-file-utils    validates the .desktop launcher
#   xvfb / xdotool / imagemagick   tests only: start the app in a real (virtual) X11 window, press keys, screenshot
# Installed automatically when running as root with apt-get; otherwise this prints the command to run.
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
pkgs=(libopenblas0-pthread fonts-noto-cjk desktop-file-utils libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
      libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
      xvfb xdotool imagemagick)
command -v dpkg-query >/dev/null 2>&1 || { echo "note: not a Debian/Ubuntu system; install OpenBLAS and CJK fonts with your package manager"; exit 0; }
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
else
  echo "MLX Studio would like these system packages (not root, so not installing them):"
  echo "    sudo apt-get install -y ${missing[*]}"
  echo "Without libopenblas0-pthread training runs ~30x slower; without fonts-noto-cjk Chinese shows as boxes."
fi
