"""Where MLX Studio runs from: a source checkout / installed wheel, or a frozen macOS ``.app`` (py2app).

In ``MLX Studio.app`` py2app's launcher (``Contents/MacOS/MLX Studio``) sets up the embedded Python and then runs
``packaging/mlxstudio_app.py``; it exports ``RESOURCEPATH`` (``Contents/Resources``) and ``EXECUTABLEPATH`` (itself),
and its boot code sets ``sys.frozen = "macosx_app"``. ``sys.executable`` is then ``Contents/MacOS/python``, a bare
interpreter that knows nothing about the bundle's ``sys.path`` — so a worker must NOT be started as ``sys.executable -m
mlxstudio.core.runtime.worker``. Instead the app re-runs its own launcher with :data:`WORKER_FLAG`; the entry script
sees the flag and runs the worker's ``main`` instead of the window. Same interpreter, same paths, same bundled
libraries, no system Python involved.
"""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

WORKER_FLAG = "--mlxstudio-worker"
"""First argument that makes the app's executable run one worker job instead of opening the window."""
SERVE_FLAG = "--mlxstudio-serve"
"""First argument that makes the app's executable run the model server (the Serve panel) instead of the window."""


def is_frozen() -> bool:
    """True inside a bundled app (py2app sets ``sys.frozen = "macosx_app"``; PyInstaller sets ``True``)."""
    return bool(getattr(sys, "frozen", False))


def is_macos_app() -> bool:
    """True inside a py2app ``.app`` bundle."""
    return getattr(sys, "frozen", None) == "macosx_app"


def bundle_contents() -> Path | None:
    """The bundle's ``Contents`` folder inside a py2app app, else None."""
    if not is_macos_app():
        return None
    res = os.environ.get("RESOURCEPATH")
    if res:
        return Path(res).parent
    return Path(sys.executable).resolve().parent.parent  # Contents/MacOS/python → Contents


def app_executable() -> Path:
    """The file to execute to start this app again (the ``.app`` launcher, or the frozen binary)."""
    if is_macos_app():
        exe = os.environ.get("EXECUTABLEPATH")  # set by py2app's launcher to itself
        if exe and Path(exe).is_file():
            return Path(exe)
        contents = bundle_contents()
        if contents is not None:  # fall back to Info.plist's CFBundleExecutable
            with open(contents / "Info.plist", "rb") as fh:
                name = plistlib.load(fh)["CFBundleExecutable"]
            return contents / "MacOS" / name
    return Path(sys.executable)


def frozen_worker_command() -> list[str]:
    """The worker command inside a bundled app: the app's own executable with :data:`WORKER_FLAG`."""
    return [str(app_executable()), WORKER_FLAG]


def dev_worker_command() -> list[str]:
    """The worker command from a checkout or an installed wheel: this interpreter,
    ``-m mlxstudio.core.runtime.worker``."""
    return [sys.executable, "-m", "mlxstudio.core.runtime.worker"]
