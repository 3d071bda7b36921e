"""Keeping the computer awake while a long job runs: the platform seam (which command), the hold/release life cycle
with a job, and the real ``systemd-inhibit`` on Linux where it exists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core.runtime import awake
from mlxstudio.core.runtime.awake import KeepAwake, inhibit_command


def which_all(name: str) -> str:
    return f"/usr/bin/{name}"


def test_macos_uses_caffeinate_bound_to_the_pid() -> None:
    assert inhibit_command(4242, "Training", "darwin", which_all) == ["/usr/bin/caffeinate", "-i", "-w", "4242"]


def test_linux_uses_systemd_inhibit_for_idle_and_sleep() -> None:
    cmd = inhibit_command(4242, "Training in MLX Studio", "linux", which_all)
    assert cmd is not None and cmd[0] == "/usr/bin/systemd-inhibit"
    assert "--what=idle:sleep" in cmd and "--why=Training in MLX Studio" in cmd and "--mode=block" in cmd
    assert "kill -0 4242" in cmd[-1]


def test_nothing_where_the_platform_has_no_helper() -> None:
    assert inhibit_command(1, "x", "linux", lambda _n: None) is None
    assert inhibit_command(1, "x", "darwin", lambda _n: None) is None
    assert inhibit_command(1, "x", "win32", which_all) is None
    keep = KeepAwake("x", platform="win32")
    assert keep.hold() is False and not keep.held
    keep.release()


def test_hold_and_release_a_helper_process(tmp_path: Path) -> None:
    """With a stand-in helper (``sleep``) the life cycle is real: held while the job runs, gone after release."""
    started: list[list[str]] = []

    def popen(cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        started.append(cmd)
        return subprocess.Popen(["sleep", "60"], **kw)

    keep = KeepAwake("Training", platform="darwin", which=which_all, popen=popen)
    with keep:
        assert keep.held and started == [["/usr/bin/caffeinate", "-i", "-w", str(os.getpid())]]
        proc = keep.proc
        assert keep.hold() and len(started) == 1  # holding twice starts nothing new
    assert not keep.held and proc is not None and proc.poll() is not None


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("systemd-inhibit") is None,
                    reason="needs Linux with systemd-inhibit")
def test_real_systemd_inhibit_starts_and_is_released() -> None:
    keep = KeepAwake("MLX Studio test")
    assert keep.command is not None and keep.hold()
    time.sleep(0.5)
    proc = keep.proc
    assert proc is not None
    still = proc.poll() is None  # without a logind (a container) systemd-inhibit exits at once: nothing held
    keep.release()
    assert proc.poll() is not None
    if still:  # it held the lock: its child (the pid watcher) went with it
        out = subprocess.run(["pgrep", "-f", f"kill -0 {os.getpid()} "], capture_output=True, text=True)
        assert out.stdout.strip() == ""


def test_module_is_qt_free() -> None:
    assert "PySide6" not in awake.__dict__


def test_the_mac_app_opts_out_of_app_nap() -> None:
    import plistlib

    plist = Path(__file__).resolve().parents[1] / "packaging" / "Info-fragment.plist"
    with open(plist, "rb") as fh:
        assert plistlib.load(fh)["NSAppSleepDisabled"] is True
