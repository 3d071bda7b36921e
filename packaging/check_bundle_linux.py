"""Build MLX Studio.app's layout on Linux with py2app and run the app's self-test INSIDE it.

py2app's pipeline — module graph, recipes, the ``python311.zip``, the unzipped packages, resources, ``__boot__.py``,
Info.plist — is plain Python and runs on any OS; only its Mach-O steps (rewriting load commands of the binaries,
code signing) need macOS. This script skips those, then starts the bundled interpreter exactly the way py2app's
launcher does (``RESOURCEPATH``, ``EXECUTABLEPATH``, ``ARGVZERO``, ``PYTHONHOME = PYTHONPATH = Contents/Resources``,
run ``Contents/Resources/__boot__.py``) with ``--mlxstudio-selftest``, then once more to open the window
(offscreen). The app's imports (MLX, mlx-lm, Qt, hubs, transformers), its resources, a tiny model through tokenizer,
chat template, generation and a LoRA step, and a worker process re-launched through the stand-in launcher must all
work from the bundle alone. What it cannot show: Mach-O linking, Metal, Cocoa — see packaging/README.md.

    python packaging/check_bundle_linux.py            # ~5 min on 2 cores; output in build/linux-bundle/
    python packaging/check_bundle_linux.py --reuse    # only re-run the checks on the last build
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "linux-bundle"
APP = OUT / "dist" / "MLX Studio.app"


def build() -> None:
    """Run py2app with setup_app.py's options, Mach-O steps skipped."""
    # as when running `python setup_app.py`: the source tree is sys.path[0], so py2app's module graph (which cannot
    # see through an editable install's import hook) finds mlxstudio and follows its imports
    sys.path.insert(0, str(ROOT))
    ns = runpy.run_path(str(ROOT / "setup_app.py"))
    ns["patch_py2app_for_namespace_packages"]()
    from py2app import build_app

    build_app.codesign_adhoc = lambda bundle: None  # macOS codesign
    build_app.py2app.copy_loader_paths = lambda self, src, dst: None  # reads Mach-O load commands
    kwargs = ns["setup_kwargs"]()
    options = kwargs["options"]["py2app"]
    options.update(dist_dir=str(OUT / "dist"), bdist_base=str(OUT / "build"), debug_skip_macholib=True)
    if not Path(options["iconfile"]).is_file():
        sys.path.insert(0, str(ROOT / "packaging"))
        import make_icons

        icns = Path(options["iconfile"])
        make_icons.write_icns(make_icons.write_iconset(out_dir=icns.parent), icns)
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "build").mkdir(parents=True)
    os.chdir(OUT / "build")  # no pyproject.toml here (see setup_app._main)
    from setuptools import setup

    setup(script_args=["py2app"], **kwargs)
    # Linux wheels keep their shared libraries in a sibling "<dist>.libs" folder (auditwheel; e.g. numpy.libs,
    # mlx_cpu.libs), which py2app does not know about; macOS wheels keep them inside the package (delocate:
    # numpy/.dylibs, mlx/lib), which the unzipped packages already carry. Emulate that here.
    pydir = APP / "Contents" / "Resources" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for libs in Path(sysconfig.get_path("platlib")).glob("*.libs"):
        shutil.copytree(libs, pydir / libs.name, dirs_exist_ok=True)


def launcher_env(app: Path, launcher: Path) -> dict[str, str]:
    """The environment py2app's launcher (apptemplate/src/main.c) gives the embedded interpreter."""
    res = app / "Contents" / "Resources"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(RESOURCEPATH=str(res), EXECUTABLEPATH=str(launcher), ARGVZERO=str(launcher), PYTHONHOME=str(res),
               PYTHONPATH=str(res), PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def write_launcher(app: Path) -> Path:
    """A stand-in for Contents/MacOS/MLX Studio (a Mach-O stub on macOS): the same env, then __boot__.py."""
    launcher = app / "Contents" / "MacOS" / "mlxstudio-linux-launcher"
    res = app / "Contents" / "Resources"
    launcher.write_text(
        "#!/bin/sh\n"
        f'export RESOURCEPATH="{res}" EXECUTABLEPATH="$0" ARGVZERO="$0" PYTHONHOME="{res}" PYTHONPATH="{res}"\n'
        'export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n'
        f'exec "{app / "Contents" / "MacOS" / "python"}" "{res / "__boot__.py"}" "$@"\n'
    )
    launcher.chmod(0o755)
    return launcher


def selftest(app: Path = APP) -> dict:
    """Run ``--mlxstudio-selftest`` inside the bundle; returns the report."""
    launcher = write_launcher(app)
    with tempfile.TemporaryDirectory() as home:
        env = launcher_env(app, launcher) | {"MLXSTUDIO_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.run([str(launcher), "--mlxstudio-selftest"], capture_output=True, text=True, env=env,
                              cwd=home, timeout=600)
    if proc.returncode not in (0, 1) or not proc.stdout.strip().startswith("{"):
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n")
        raise SystemExit(f"the bundled app did not start (exit {proc.returncode})")
    return json.loads(proc.stdout)


def window_probe(app: Path = APP) -> bool:
    """Start the bundled app with no flag (the window, offscreen, plus a -psn_ argument as Finder adds) and quit."""
    launcher = write_launcher(app)
    with tempfile.TemporaryDirectory() as home:
        env = launcher_env(app, launcher) | {"MLXSTUDIO_HOME": home, "QT_QPA_PLATFORM": "offscreen",
                                             "MLXSTUDIO_STARTUP_PROBE": "1"}
        proc = subprocess.run([str(launcher), "-psn_0_4242"], capture_output=True, text=True, env=env, cwd=home,
                              timeout=300)
    ok = proc.returncode == 0 and '"shown"' in proc.stdout
    print(f"window from the bundle: {'shown' if ok else 'FAILED'}")
    if not ok:
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Build (unless --reuse), then self-test inside the bundle; exit 0 when the report is ok."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="skip the build, test the last one")
    args = parser.parse_args(argv)
    if sys.platform == "darwin":
        raise SystemExit("on macOS use packaging/build_macos.sh (the real build)")
    if not args.reuse:
        build()
    report = selftest()
    print(json.dumps(report, indent=2, default=str))
    where = report.get("mlxstudio_location", "")
    if not str(where).startswith(str(APP)):
        print(f"error: mlxstudio was imported from {where}, not from the bundle", file=sys.stderr)
        return 1
    shown = window_probe()
    return 0 if report.get("ok") and shown else 1


if __name__ == "__main__":
    sys.exit(main())
