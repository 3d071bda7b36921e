"""``mlxstudio-cli install-desktop``: put MLX Studio into the Linux application menu (and ``--uninstall`` it).

Writes ``$XDG_DATA_HOME/applications/mlxstudio.desktop`` (default ``~/.local/share``) from the packaged template, with
``Exec``/``TryExec`` set to the absolute path of the installed ``mlxstudio`` launcher (so it works from a venv that is
not on ``PATH``), and the icon into ``$XDG_DATA_HOME/icons/hicolor/<N>x<N>/apps/mlxstudio.png`` (+ ``scalable`` SVG).
Per-user, no root needed. Menus pick the entry up by themselves; ``update-desktop-database`` is run too when it
exists (and ``gtk-update-icon-cache`` when the per-user theme already has a cache).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from mlxstudio.commands.output import Output
from mlxstudio.core import resources
from mlxstudio.core.errors import UserError
from mlxstudio.core.fsutil import atomic_write_bytes, atomic_write_text
from mlxstudio.core.i18n import _, ngettext

DESKTOP_ID = "mlxstudio"
DESKTOP_TEMPLATE = "linux/mlxstudio.desktop"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``install-desktop``."""
    # --json/--quiet may come before or after the command; SUPPRESS keeps a value given earlier on the command line
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help=_("print only results and errors"))
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help=_("print the result (files written) as JSON"))
    p = sub.add_parser("install-desktop", parents=[common],
                       help=_("add MLX Studio to the Linux application menu (per user; --uninstall removes it)"))
    p.add_argument("--uninstall", action="store_true", help=_("remove the menu entry and icons instead"))
    p.add_argument("--data-home", type=Path, default=None, metavar="DIR",
                   help=_("where applications/ and icons/ go (default: $XDG_DATA_HOME or ~/.local/share)"))
    p.add_argument("--exec", dest="exec_path", type=Path, default=None, metavar="PATH",
                   help=_("the launcher to run (default: the 'mlxstudio' script installed next to this Python)"))
    p.set_defaults(func=cmd_install_desktop)


def data_home() -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    env = os.environ.get("XDG_DATA_HOME")
    return Path(env).expanduser() if env and os.path.isabs(os.path.expanduser(env)) else Path.home() / ".local/share"


def find_launcher() -> Path:
    """The installed ``mlxstudio`` GUI script: in this interpreter's scripts folder, else on ``PATH``."""
    candidates = [Path(sysconfig.get_path("scripts")) / "mlxstudio", Path(sys.executable).parent / "mlxstudio"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c.absolute()
    found = shutil.which("mlxstudio")
    if found:
        return Path(found).absolute()
    raise UserError(_("cannot find the 'mlxstudio' launcher next to this Python or on PATH; install MLX Studio with "
                      "pip (e.g. `make setup` or `pip install .`) or pass --exec /path/to/mlxstudio"))


def _exec_quote(path: Path) -> str:
    """Quote a path for the desktop-entry ``Exec`` key (spec: double quotes; escape ``"`` `` ` `` ``$`` ``\\``)."""
    s = str(path)
    if not any(ch in s for ch in ' \t\n"\'\\><~|&;$*?#()`='):
        return s
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in s)
    return f'"{escaped}"'


def render_desktop_entry(launcher: Path) -> str:
    """The packaged ``.desktop`` template with ``Exec``/``TryExec`` pointing at ``launcher``."""
    lines = []
    for line in resources.read_text(DESKTOP_TEMPLATE).splitlines():
        if line.startswith("Exec="):
            line = f"Exec={_exec_quote(launcher)} %F"
        elif line.startswith("TryExec="):
            line = f"TryExec={launcher}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def icon_targets(home: Path) -> dict[str, Path]:
    """Packaged icon resource → where it goes in the per-user hicolor theme."""
    hicolor = home / "icons" / "hicolor"
    targets = {f"icons/mlxstudio-{n}.png": hicolor / f"{n}x{n}" / "apps" / f"{DESKTOP_ID}.png"
               for n in resources.ICON_SIZES}
    targets["icons/mlxstudio.svg"] = hicolor / "scalable" / "apps" / f"{DESKTOP_ID}.svg"
    return targets


def _refresh_caches(home: Path) -> None:
    """Best effort: most desktops watch these folders anyway.

    The icon cache is only refreshed when one already exists: creating a cache in the per-user theme would hide
    icons that other programs later install without updating it.
    """
    hicolor = home / "icons" / "hicolor"
    jobs = [["update-desktop-database", "-q", str(home / "applications")]]
    if (hicolor / "icon-theme.cache").is_file():
        jobs.append(["gtk-update-icon-cache", "-q", "-t", "-f", str(hicolor)])
    for cmd in jobs:
        if shutil.which(cmd[0]):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(cmd, check=False, capture_output=True, timeout=30)


def install_desktop(home: Path | None = None, launcher: Path | None = None) -> dict[str, Any]:
    """Write the menu entry and icons under ``home`` (default :func:`data_home`); returns what was written."""
    home = home or data_home()
    launcher = (launcher or find_launcher()).absolute()
    if not launcher.is_file():
        raise UserError(_("--exec {launcher}: no such file; give the path of the installed 'mlxstudio' launcher")
            .format(launcher=launcher))
    desktop = home / "applications" / f"{DESKTOP_ID}.desktop"
    desktop.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(desktop, render_desktop_entry(launcher))
    icons = []
    for name, target in icon_targets(home).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, resources.read_bytes(name))
        icons.append(str(target))
    _refresh_caches(home)
    return {"desktop_file": str(desktop), "exec": str(launcher), "icons": icons}


def uninstall_desktop(home: Path | None = None) -> dict[str, Any]:
    """Remove what :func:`install_desktop` wrote; returns the files removed."""
    home = home or data_home()
    removed = []
    for path in [home / "applications" / f"{DESKTOP_ID}.desktop", *icon_targets(home).values()]:
        if path.is_file():
            path.unlink()
            removed.append(str(path))
    _refresh_caches(home)
    return {"removed": removed}


def cmd_install_desktop(args: argparse.Namespace, out: Output) -> int:
    """``install-desktop`` / ``install-desktop --uninstall``."""
    if sys.platform == "darwin":
        raise UserError(_("install-desktop is for Linux desktops; on macOS build and use MLX Studio.app "
                          "(packaging/README.md)"))
    if args.uninstall:
        result = uninstall_desktop(args.data_home)
        n = len(result["removed"])
        out.result(ngettext("removed {n} file", "removed {n} files", n).format(n=n) if n else _("nothing to remove"),
                   data=result)
        return 0
    result = install_desktop(args.data_home, args.exec_path)
    out.result(_("installed {result} (runs {result2}) and {n} icons").format(
        result=result['desktop_file'], result2=result['exec'], n=len(result['icons'])),
               data=result)
    return 0
