"""MLX Studio runs from an installed wheel, not only from the source tree, and finds all its resources.

The wheel is built offline (no build isolation) from a copy of the sources, installed with ``--no-deps`` into a fresh
venv, and the venv sees the project's already-installed dependencies through a ``.pth`` line (the project venv's
site-packages directory is appended to ``sys.path``; its own ``.pth`` files, like the editable install's finder, are
not processed, so ``import mlxstudio`` can only find the wheel's copy). Every command runs from an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = ROOT / "mlxstudio" / "resources"


def _run(cmd: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    environment.update(env)
    return subprocess.run(cmd, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)


def _resource_files() -> list[str]:
    return sorted(p.relative_to(RESOURCES_DIR).as_posix() for p in RESOURCES_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc"))


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the wheel, install it into a fresh venv; returns the paths involved."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "mlxstudio", src / "mlxstudio", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                  "-w", str(tmp / "dist"), str(src)], cwd=tmp)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("mlxstudio-*.whl")

    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                      "-q", str(wheel)], cwd=tmp)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=tmp).stdout.strip())
    (site / "_mlxstudio_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "site": site, "cwd": cwd, "home": tmp / "home"}


def test_wheel_contains_every_resource(wheel_env: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(wheel_env["wheel"]).namelist())
    missing = [f for f in _resource_files() if f"mlxstudio/resources/{f}" not in names]
    assert not missing, f"resources missing from the wheel: {missing}"


IMPORT_CHECK = r"""
import json, sys
import mlxstudio
from mlxstudio.core import resources
names = resources.list_resources()
sizes = {name: len(resources.read_bytes(name)) for name in names}
print(json.dumps({
    "file": mlxstudio.__file__,
    "names": names,
    "sizes": sizes,
    "icons": {str(k): str(v) for k, v in resources.icon_paths().items()},
    "sample": str(resources.sample_dataset_path()),
    "sys_path_has_source": any(p.rstrip("/") == sys.argv[1] for p in sys.path),
}))
"""


def test_installed_package_is_the_wheel_and_finds_its_resources(wheel_env: dict[str, Path]) -> None:
    out = _run([str(wheel_env["python"]), "-c", IMPORT_CHECK, str(ROOT)], cwd=wheel_env["cwd"],
               MLXSTUDIO_HOME=str(wheel_env["home"]))
    assert out.returncode == 0, out.stderr
    info: dict[str, Any] = json.loads(out.stdout)
    assert Path(info["file"]).is_relative_to(wheel_env["site"]), info["file"]
    assert not info["sys_path_has_source"]
    assert info["names"] == _resource_files()
    for name, size in info["sizes"].items():
        assert size == (RESOURCES_DIR / name).stat().st_size, name
    for path in [*info["icons"].values(), info["sample"]]:
        assert Path(path).is_relative_to(wheel_env["site"]) and Path(path).is_file(), path


def test_cli_runs_from_the_wheel(wheel_env: dict[str, Path]) -> None:
    import mlxstudio

    cli = wheel_env["venv"] / "bin" / "mlxstudio-cli"
    assert cli.read_text().splitlines()[0] == f"#!{wheel_env['python']}"
    out = _run([str(cli), "--version"], cwd=wheel_env["cwd"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"mlxstudio {mlxstudio.__version__}"

    if sys.platform == "darwin":
        return  # install-desktop is Linux-only
    data_home = wheel_env["cwd"] / "share"
    out = _run([str(cli), "--json", "install-desktop", "--data-home", str(data_home)], cwd=wheel_env["cwd"])
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])["data"]
    assert result["exec"] == str(wheel_env["venv"] / "bin" / "mlxstudio")  # the wheel's launcher, not the source's
    assert f"Exec={result['exec']} %F" in Path(result["desktop_file"]).read_text(encoding="utf-8")


def test_window_starts_from_the_wheel(wheel_env: dict[str, Path]) -> None:
    """The ``mlxstudio`` launcher opens the main window (offscreen) from the installed wheel."""
    gui = wheel_env["venv"] / "bin" / "mlxstudio"
    out = _run([str(gui)], cwd=wheel_env["cwd"], timeout=120, MLXSTUDIO_STARTUP_PROBE="1",
               QT_QPA_PLATFORM="offscreen", MLXSTUDIO_HOME=str(wheel_env["home"]))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "shown" in json.loads(out.stdout.strip().splitlines()[-1])


def test_app_self_test_passes_from_the_wheel(wheel_env: dict[str, Path]) -> None:
    """The .app's entry script, run by the wheel's interpreter: MLX, Qt, hubs, resources and a worker process."""
    out = _run([str(wheel_env["python"]), str(ROOT / "packaging" / "mlxstudio_app.py"), "--mlxstudio-selftest"],
               cwd=wheel_env["cwd"], MLXSTUDIO_HOME=str(wheel_env["home"]))
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["ok"], report["problems"]
    assert Path(report["mlxstudio_location"]).is_relative_to(wheel_env["site"])
    assert report["worker_command"][0] == str(wheel_env["python"])
    assert report["worker"] == "Finished"
