"""Files shipped inside the package (icons, sample data), found through :mod:`importlib.resources`.

Never build paths from ``__file__`` or the source tree: this works the same from a checkout, an installed wheel and a
py2app ``.app`` bundle. Qt-free; the GUI turns :func:`icon_paths` into a ``QIcon``.
"""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mlxstudio.core import paths

PACKAGE = "mlxstudio.resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SAMPLE_DATASET = "sample/seed_train.jsonl"


def resource(name: str) -> Traversable:
    """The resource ``name`` (a ``/``-separated path under ``mlxstudio/resources``); raises if it does not exist."""
    node: Traversable = resources.files(PACKAGE)
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"bad resource name {name!r}: use a relative path like 'icons/mlxstudio-64.png'")
        node = node.joinpath(part)
    if not node.is_file():
        raise FileNotFoundError(f"resource {name!r} is missing from {PACKAGE} (a broken install? reinstall MLX Studio)")
    return node


def read_bytes(name: str) -> bytes:
    """The bytes of resource ``name``."""
    return resource(name).read_bytes()


def read_text(name: str, encoding: str = "utf-8") -> str:
    """The text of resource ``name``."""
    return resource(name).read_text(encoding=encoding)


def resource_path(name: str) -> Path:
    """A real file path for resource ``name`` (for APIs that need one, e.g. ``QIcon(path)``).

    Installed packages are plain folders, so this is the file itself. If the package sits in a zip archive, the file
    is copied once into the app's cache folder (content-addressed, so an upgrade never serves a stale copy).
    """
    node = resource(name)
    if isinstance(node, Path):
        return node
    data = node.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = paths.home() / "cache" / "resources" / digest / Path(name).name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def list_resources(subdir: str = "") -> list[str]:
    """Every resource file's name (``/``-separated, sorted), optionally only those under ``subdir``."""
    root: Traversable = resources.files(PACKAGE)
    start = root
    for part in [p for p in subdir.split("/") if p]:
        start = start.joinpath(part)
    found: list[str] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, rel + "/")
            elif not child.name.endswith((".py", ".pyc")):
                found.append(rel)

    if start.is_dir():
        walk(start, f"{subdir.strip('/')}/" if subdir.strip("/") else "")
    return sorted(found)


def icon_paths() -> dict[int, Path]:
    """The app icon as PNG files, by pixel size (build a ``QIcon`` from all of them for crisp high-DPI icons)."""
    return {size: resource_path(f"icons/mlxstudio-{size}.png") for size in ICON_SIZES}


def icon_svg_path() -> Path:
    """The app icon as SVG (scalable; used for the Linux launcher)."""
    return resource_path("icons/mlxstudio.svg")


def sample_dataset_path() -> Path:
    """The seed prompt/completion pairs shipped with the app (JSONL), as a file path."""
    return resource_path(SAMPLE_DATASET)


def copy_sample_dataset(dest: Path) -> Path:
    """Copy the seed dataset to ``dest`` (a file path, or a folder to put ``seed_train.jsonl`` in); returns the file."""
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / Path(SAMPLE_DATASET).name
    dest.parent.mkdir(parents=True, exist_ok=True)
    with resources.as_file(resource(SAMPLE_DATASET)) as src:
        shutil.copyfile(src, dest)
    return dest
