"""The macOS .app configuration (py2app), icons, packaged resources and the Linux desktop entry — checked on Linux.

What a Mac is still needed for (the actual py2app build, code signing, the .dmg, Metal inside the bundle) is listed in
packaging/README.md.
"""

from __future__ import annotations

import ast
import json
import os
import plistlib
import runpy
import shutil
import struct
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
RESOURCES_DIR = ROOT / "mlxstudio" / "resources"
COMPILED_SUFFIXES = {".so", ".dylib", ".pyd", ".dll"}
PYTHON_SUFFIXES = {".py", ".pyc", ".pyi"}


@pytest.fixture(scope="module")
def setup_app() -> dict[str, Any]:
    """setup_app.py's namespace, loaded the way a tool would (not as __main__, so py2app does not run)."""
    return runpy.run_path(str(ROOT / "setup_app.py"))


@pytest.fixture(scope="module")
def make_icons(qapp: Any) -> Any:
    """packaging/make_icons.py. The suite's QApplication exists first: the script would otherwise create a bare
    QGuiApplication that outlives this module, and every later widget aborts the run ("Cannot create a QWidget
    without QApplication" — seen when these tests ran before the first GUI test)."""
    sys.path.insert(0, str(PACKAGING))
    try:
        import make_icons

        return make_icons
    finally:
        sys.path.remove(str(PACKAGING))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _resource_files() -> list[str]:
    """Every file under mlxstudio/resources/ in the source tree, except Python files."""
    return sorted(p.relative_to(RESOURCES_DIR).as_posix() for p in RESOURCES_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in PYTHON_SUFFIXES)


# -- setup_app.py -----------------------------------------------------------------------------------------------
def test_loading_setup_app_does_not_run_py2app(monkeypatch: pytest.MonkeyPatch) -> None:
    import setuptools

    def no_setup(**kwargs: Any) -> None:
        raise AssertionError("loading setup_app.py must not call setup()")

    monkeypatch.setattr(setuptools, "setup", no_setup)
    cwd = os.getcwd()
    ns = runpy.run_path(str(ROOT / "setup_app.py"))
    assert os.getcwd() == cwd
    assert callable(ns["build_options"]) and callable(ns["setup_kwargs"])


def test_py2app_accepts_every_option(setup_app: dict[str, Any], make_icons: Any) -> None:
    """py2app itself validates the option names and finalizes them (an unknown or mistyped option fails here)."""
    pytest.importorskip("py2app", reason="py2app is in the dev extras (pip install -e '.[dev]')")
    from setuptools.dist import Distribution

    kwargs = setup_app["setup_kwargs"]()
    assert kwargs["app"] == [str(PACKAGING / "mlxstudio_app.py")]
    cmd = Distribution(kwargs).get_command_obj("py2app")
    cmd.ensure_finalized()
    assert cmd.arch == "arm64"
    assert not cmd.argv_emulation
    assert set(cmd.packages) == set(setup_app["UNZIPPED_PACKAGES"])
    assert set(cmd.qt_plugins) >= {"platforms", "styles", "imageformats"}
    assert Path(cmd.iconfile) == make_icons.BUILD_DIR / make_icons.ICNS_NAME  # what make_icns.sh writes
    assert cmd.plist["CFBundleName"] == "MLX Studio"

    bad = dict(kwargs, options={"py2app": dict(kwargs["options"]["py2app"], not_an_option=1)})
    with pytest.raises(Exception, match="no such option"):
        Distribution(bad).get_command_obj("py2app")


def test_py2app_finds_the_folder_of_every_unzipped_package(setup_app: dict[str, Any], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """py2app's own package lookup (imp) fails on namespace packages like mlx; setup_app patches it at build time."""
    pytest.importorskip("py2app", reason="py2app is in the dev extras (pip install -e '.[dev]')")
    import importlib.util

    from setuptools.dist import Distribution

    assert importlib.util.find_spec("mlx").origin in (None, "namespace"), "mlx is a namespace package (no __init__)"
    (tmp_path / "mlx").mkdir()  # a stray folder named like a package in the working directory must not be taken
    monkeypatch.chdir(tmp_path)
    setup_app["patch_py2app_for_namespace_packages"]()
    setup_app["patch_py2app_for_namespace_packages"]()  # idempotent
    cmd = Distribution(setup_app["setup_kwargs"]()).get_command_obj("py2app")
    cmd.ensure_finalized()
    found = {Path(d).name: Path(d) for d in cmd.collect_packagedirs()}
    assert set(found) == set(setup_app["UNZIPPED_PACKAGES"])
    assert (found["mlx"] / "nn").is_dir() and found["mlx"].parent != tmp_path
    assert (found["mlxstudio"] / "resources").is_dir()


def test_every_unzipped_package_has_a_reason_and_exists(setup_app: dict[str, Any]) -> None:
    import importlib.util

    unzipped: dict[str, str] = setup_app["UNZIPPED_PACKAGES"]
    zip_safe: dict[str, str] = setup_app["ZIP_SAFE_DATA"]
    assert not set(unzipped) & set(zip_safe)
    for name, reason in {**unzipped, **zip_safe, **setup_app["EXCLUDES"]}.items():
        assert isinstance(reason, str) and len(reason) > 10, f"{name}: say why"
    missing = [n for n in unzipped if importlib.util.find_spec(n) is None]
    assert not missing, f"UNZIPPED_PACKAGES names packages that are not installed (typo?): {missing}"
    for module in setup_app["INCLUDES"]:
        assert importlib.util.find_spec(module) is not None, module
    assert not set(unzipped) & set(setup_app["EXCLUDES"])
    # a namespace package in the zip would get a stub __init__ that hides the real folder: keep it out of the zip
    namespace = {n for n in unzipped if importlib.util.find_spec(n).origin in (None, "namespace")}
    assert namespace == set(setup_app["NAMESPACE_PACKAGES"]), "list namespace packages in NAMESPACE_PACKAGES"
    assert namespace <= set(setup_app["build_options"]()["excludes"])


CLOSURE_SCRIPT = r"""
import importlib, json, os, pkgutil, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["MLXSTUDIO_STARTUP_PROBE"] = "1"
from mlxstudio.core.runtime.blas import preload_blas
preload_blas()
import mlxstudio
failed = {}
for info in pkgutil.walk_packages(mlxstudio.__path__, "mlxstudio."):   # every module of the app
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = f"{type(exc).__name__}: {exc}"
# what the app does later, lazily: open the window, load a model + tokenizer, chat template, generate, train, fuse
from mlxstudio.gui.app import main
if main([]) != 0:
    failed["window"] = "the startup probe did not exit 0"
import mlx_lm
from mlx_lm.generate import generate
model, tokenizer = mlx_lm.load(sys.argv[1])
prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
generate(model, tokenizer, prompt, max_tokens=2)
import mlx_lm.fuse, mlx_lm.lora, mlx_lm.tuner.trainer, mlx_lm.tuner.utils, mlx_lm.models.qwen3
from modelscope.hub.snapshot_download import snapshot_download
from huggingface_hub import snapshot_download
from mlxstudio.core.runtime.worker import JOBS, resolve_job
for job in JOBS:
    resolve_job(job)
tops = {}
for name, module in list(sys.modules.items()):
    if "." in name or name in sys.stdlib_module_names or name in sys.builtin_module_names:
        continue
    file = getattr(module, "__file__", None)
    dirs = [d for d in getattr(module, "__path__", None) or [] if os.path.isdir(d)]  # namespace packages too (mlx)
    if not dirs and not (file and os.path.isfile(file)):
        continue  # built-in or virtual (shiboken's signature bootstrap)
    tops[name] = {"file": file, "package_dirs": dirs or None}
print(json.dumps({"tops": tops, "failed": failed}))
"""


@pytest.fixture(scope="module")
def runtime_closure(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Top-level packages the app really imports at run time (a fresh process doing what the app does)."""
    env = dict(os.environ, MLXSTUDIO_HOME=str(tmp_path_factory.mktemp("closure-home")))
    proc = subprocess.run([sys.executable, "-c", CLOSURE_SCRIPT, str(tiny_model_session)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["failed"], f"modules of the app failed to import: {result['failed']}"
    return result["tops"]


def _payload(package_dir: Path) -> tuple[list[str], list[str]]:
    """(compiled files, non-Python data files) inside a package folder."""
    compiled, data = [], []
    for p in package_dir.rglob("*"):
        if "__pycache__" in p.parts or not p.is_file():
            continue
        rel = p.relative_to(package_dir).as_posix()
        if p.suffix in COMPILED_SUFFIXES or ".so." in p.name:
            compiled.append(rel)
        elif p.suffix not in PYTHON_SUFFIXES and p.name != "py.typed":
            data.append(rel)
    return compiled, data


def test_runtime_packages_with_binaries_or_data_stay_unzipped(setup_app: dict[str, Any],
                                                              runtime_closure: dict[str, Any]) -> None:
    """Every imported top-level package shipping compiled code or data files is a real folder in the bundle."""
    unzipped: dict[str, str] = setup_app["UNZIPPED_PACKAGES"]
    zip_safe: dict[str, str] = setup_app["ZIP_SAFE_DATA"]
    site = Path(sysconfig.get_path("purelib")).resolve()
    for expected in ("mlx", "mlx_lm", "PySide6", "mlxstudio", "transformers", "tokenizers", "modelscope"):
        assert expected in runtime_closure, f"{expected} should be in the app's runtime imports"
    problems = []
    for name, info in sorted(runtime_closure.items()):
        if info["package_dirs"] is None:
            continue  # a single module: py2app puts .py in the zip and an extension module in lib-dynload
        compiled, data = [], []
        for d in info["package_dirs"]:
            pkg_dir = Path(d).resolve()
            if pkg_dir.is_relative_to(site) or pkg_dir.is_relative_to(ROOT):
                c, f = _payload(pkg_dir)
                compiled += c
                data += f
        if name in zip_safe:
            if compiled:
                problems.append(f"{name} is listed as zip-safe but ships compiled files: {compiled[:3]}")
            continue
        if (compiled or data) and name not in unzipped:
            problems.append(f"{name}: {len(compiled)} compiled ({compiled[:2]}), {len(data)} data ({data[:2]}) "
                            f"— add it to UNZIPPED_PACKAGES (or ZIP_SAFE_DATA with a reason)")
    assert not problems, "\n".join(problems)


def test_plist_has_the_required_keys(setup_app: dict[str, Any]) -> None:
    import mlxstudio

    plist = setup_app["build_options"]()["plist"]
    assert plist["CFBundleName"] == plist["CFBundleDisplayName"] == "MLX Studio"
    assert plist["CFBundleIdentifier"] == "org.mlxstudio.MLXStudio"
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == mlxstudio.__version__
    assert plist["LSMinimumSystemVersion"] == "13.5"
    assert plist["LSArchitecturePriority"] == ["arm64"]
    assert plist["NSHighResolutionCapable"] is True
    assert plist["NSRequiresAquaSystemAppearance"] is False
    declared = {t["UTTypeIdentifier"] for t in plist["UTImportedTypeDeclarations"]}
    extensions = set()
    for doc in plist["CFBundleDocumentTypes"]:
        assert doc["CFBundleTypeRole"] in ("Editor", "Viewer") and doc["CFBundleTypeName"]
        extensions.update(doc["CFBundleTypeExtensions"])
        for uti in doc["LSItemContentTypes"]:
            assert uti.startswith("public.") or uti in declared, f"{uti} is neither a system UTI nor declared"
    assert {"jsonl", "gguf"} <= extensions
    plistlib.loads(plistlib.dumps(plist))  # serialisable (no None values and the like)
    assert setup_app["read_version"]() == mlxstudio.__version__


def test_plist_fragment_and_entitlements_are_valid_plists() -> None:
    for name in ("Info-fragment.plist", "entitlements.plist"):
        with open(PACKAGING / name, "rb") as fh:
            assert isinstance(plistlib.load(fh), dict), name


# -- the entry script and the worker inside the bundle ---------------------------------------------------------
def test_entry_script_strips_psn_and_opens_the_window_path() -> None:
    entry = runpy.run_path(str(PACKAGING / "mlxstudio_app.py"))
    assert entry["clean_argv"](["-psn_0_123456", "a.jsonl"]) == ["a.jsonl"]
    from mlxstudio.core.runtime.bundle import WORKER_FLAG

    assert entry["WORKER_FLAG"] == WORKER_FLAG
    import mlxstudio

    out = subprocess.run([sys.executable, str(PACKAGING / "mlxstudio_app.py"), "-psn_0_42", "--version"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert mlxstudio.__version__ in out.stdout


FROZEN_CLIENT = r"""
import json, sys
sys.frozen = "macosx_app"      # what py2app's boot code sets inside MLX Studio.app
from mlxstudio.core.runtime.worker import WorkerProcess, worker_command
events = [type(e).__name__ for e in WorkerProcess("selftest", {"steps": 2}).events()]
print(json.dumps({"command": worker_command(), "events": events}))
"""


def test_worker_starts_through_the_app_launcher_when_frozen(tmp_path: Path) -> None:
    """In the .app the worker is the app's own launcher re-run with --mlxstudio-worker (not sys.executable -m)."""
    launcher = tmp_path / "MacOS" / "MLX Studio"  # stands in for Contents/MacOS/MLX Studio (py2app's stub)
    launcher.parent.mkdir()
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PACKAGING / "mlxstudio_app.py"}" "$@"\n')
    launcher.chmod(0o755)
    env = dict(os.environ, EXECUTABLEPATH=str(launcher))  # py2app's stub exports its own path like this
    out = subprocess.run([sys.executable, "-c", FROZEN_CLIENT], capture_output=True, text=True, env=env,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["command"] == [str(launcher), "--mlxstudio-worker"]
    assert result["events"] == ["Progress", "Progress", "Finished"]


def test_app_self_test_passes_from_the_source_tree(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(PACKAGING / "mlxstudio_app.py"), "--mlxstudio-selftest"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["ok"], report["problems"]
    assert report["worker"] == "Finished"
    assert report["resources"] == len(_resource_files())


# -- icons ------------------------------------------------------------------------------------------------------
def test_committed_app_icons_exist_at_every_size(make_icons: Any) -> None:
    from mlxstudio.core import resources

    assert tuple(make_icons.APP_ICON_SIZES) == resources.ICON_SIZES
    for size, path in resources.icon_paths().items():
        assert _png_size(path.read_bytes()) == (size, size), path
    svg = resources.read_text("icons/mlxstudio.svg")
    assert svg == make_icons.SVG_SOURCE.read_text(encoding="utf-8"), "run python packaging/make_icons.py"


def test_icns_is_built_from_the_svg(make_icons: Any, tmp_path: Path) -> None:
    iconset = make_icons.write_iconset(out_dir=tmp_path)
    icns = make_icons.write_icns(iconset, tmp_path / "MLXStudio.icns")
    chunks = make_icons.read_icns(icns)
    assert set(chunks) == {kind for _, kind in make_icons.ICONSET_FILES.values()}
    for name, (size, kind) in make_icons.ICONSET_FILES.items():
        assert _png_size(chunks[kind]) == (size, size), name
    # the macOS variant keeps Apple's margin (transparent corners) and is opaque in the middle
    image = make_icons.render_macos(make_icons.SVG_SOURCE, 128)
    assert image.pixelColor(2, 2).alpha() == 0
    assert image.pixelColor(64, 64).alpha() == 255


def test_build_scripts_parse_and_refuse_to_run_off_a_mac() -> None:
    for script in PACKAGING.glob("*.sh"):
        subprocess.run(["bash", "-n", str(script)], check=True)
    if sys.platform != "darwin":
        out = subprocess.run(["bash", str(PACKAGING / "build_macos.sh")], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "macOS" in out.stderr


# -- packaged resources -----------------------------------------------------------------------------------------
def test_every_resource_file_is_package_data() -> None:
    """pyproject's package-data globs cover every file under mlxstudio/resources (the wheel test checks the wheel)."""
    with open(ROOT / "pyproject.toml", "rb") as fh:
        patterns = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["mlxstudio"]
    covered = {p.relative_to(RESOURCES_DIR).as_posix() for pattern in patterns
               for p in (ROOT / "mlxstudio").glob(pattern) if p.is_file() and p.is_relative_to(RESOURCES_DIR)}
    missing = [f for f in _resource_files() if f not in covered]
    assert not missing, f"not matched by [tool.setuptools.package-data]: {missing}"


def test_resources_load_through_importlib() -> None:
    from mlxstudio.core import resources

    assert resources.list_resources() == _resource_files()
    for name in resources.list_resources():
        assert resources.read_bytes(name) == (RESOURCES_DIR / name).read_bytes()
    assert resources.sample_dataset_path().read_text(encoding="utf-8").strip()
    with pytest.raises(FileNotFoundError, match="missing"):
        resources.resource("icons/nope.png")
    with pytest.raises(ValueError):
        resources.resource("../core/paths.py")


def test_resource_names_used_in_the_code_exist() -> None:
    """String literals naming a resource ("icons/…", "sample/…", "linux/…") point at files that exist."""
    roots = tuple(f"{d.name}/" for d in RESOURCES_DIR.iterdir() if d.is_dir() and d.name != "__pycache__")
    existing = set(_resource_files())
    bad = []
    for py in (ROOT / "mlxstudio").rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        in_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(roots) \
                    and "\n" not in node.value and id(node) not in in_fstrings and node.value not in existing:
                bad.append(f"{py.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not bad, "resource names that do not exist:\n" + "\n".join(bad)


# -- Linux desktop entry ----------------------------------------------------------------------------------------
def _validate_desktop(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is missing (Debian: apt-get install desktop-file-utils; the Makefile's "
                    "system-deps step installs it)")
    out = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    assert out.returncode == 0 and "error:" not in text and "warning:" not in text, text


def test_desktop_template_validates() -> None:
    _validate_desktop(RESOURCES_DIR / "linux" / "mlxstudio.desktop")


LINUX_ONLY = pytest.mark.skipif(sys.platform == "darwin", reason="install-desktop is for Linux desktops")


@LINUX_ONLY
def test_install_desktop_writes_a_valid_entry_and_icons(tmp_path: Path) -> None:
    from mlxstudio.cli import main

    launcher = tmp_path / "my venv" / "bin" / "mlxstudio"  # a space: Exec must quote it
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    home = tmp_path / "share"
    assert main(["install-desktop", "--data-home", str(home), "--exec", str(launcher)]) == 0
    desktop = home / "applications" / "mlxstudio.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f'Exec="{launcher}" %F' in text and f"TryExec={launcher}" in text
    _validate_desktop(desktop)
    for size in (16, 32, 48, 128, 256, 512):
        png = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "mlxstudio.png"
        assert _png_size(png.read_bytes()) == (size, size)
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / "mlxstudio.svg").is_file()
    assert not (home / "icons" / "hicolor" / "icon-theme.cache").exists()  # never create an icon cache

    assert main(["install-desktop", "--uninstall", "--data-home", str(home)]) == 0
    assert not desktop.exists()
    assert not list((home / "icons").rglob("mlxstudio.*"))


@LINUX_ONLY
def test_install_desktop_without_a_launcher_is_a_user_error(tmp_path: Path) -> None:
    from mlxstudio.cli import main

    assert main(["install-desktop", "--data-home", str(tmp_path), "--exec", str(tmp_path / "nope")]) == 2
    assert not (tmp_path / "applications").exists()
