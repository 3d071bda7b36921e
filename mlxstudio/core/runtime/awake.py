"""Keep the computer from idle-sleeping while a long job runs (training, a download, fusing, an evaluation).

The assertion is a helper process the platform provides, held as long as that process lives:

- macOS: ``caffeinate -i -w PID`` (prevents idle sleep; ends by itself when PID — the app — ends);
- Linux: ``systemd-inhibit --what=idle:sleep … sh -c 'while kill -0 PID; do sleep 2; done'`` (logind's inhibitor
  lock, which the desktops honour), when ``systemd-inhibit`` exists;
- elsewhere: nothing.

:class:`KeepAwake` starts the helper in its own process group and ends that group on :meth:`KeepAwake.release`, so
the assertion is released when the job ends or fails, and at the latest when the app is gone. Qt-free.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable

from mlxstudio.core import logs

Which = Callable[[str], "str | None"]


def inhibit_command(pid: int, reason: str, platform: str | None = None,
                    which: Which = shutil.which) -> list[str] | None:
    """The command that holds an idle-sleep assertion while process ``pid`` lives, or None on this platform."""
    platform = platform or sys.platform
    if platform == "darwin":
        exe = which("caffeinate")
        return [exe, "-i", "-w", str(pid)] if exe else None
    if platform.startswith("linux"):
        exe = which("systemd-inhibit")
        if not exe:
            return None
        return [exe, "--what=idle:sleep", "--who=MLX Studio", f"--why={reason}", "--mode=block",
                "sh", "-c", f"while kill -0 {int(pid)} 2>/dev/null; do sleep 2; done"]
    return None


class KeepAwake:
    """One idle-sleep assertion. ``KeepAwake(reason).hold()`` … ``release()``; also a context manager.

    ``pid``: the process whose life bounds the assertion (default: this one). ``platform``/``which``/``popen`` are
    the platform seam (tests check which command would run without running it)."""

    def __init__(self, reason: str, pid: int | None = None, platform: str | None = None,
                 which: Which = shutil.which,
                 popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen) -> None:
        self.reason = reason
        self.pid = pid or os.getpid()
        self.command = inhibit_command(self.pid, reason, platform, which)
        self._popen = popen
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def held(self) -> bool:
        """Whether the helper process runs (the assertion is held)."""
        return self.proc is not None and self.proc.poll() is None

    def hold(self) -> bool:
        """Start the helper (once); False when this platform has none or it could not start."""
        if self.held:
            return True
        if self.command is None:
            return False
        try:
            self.proc = self._popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            logs.get_logger("mlxstudio.awake").info("cannot keep the computer awake: %s", exc)
            self.proc = None
            return False
        return True

    def release(self) -> None:
        """End the helper and its children (the assertion goes with them). Safe to call more than once."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(3)

    def __enter__(self) -> KeepAwake:
        self.hold()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
