"""Where MLX Studio keeps its files: the library of models, runs, logs. ``MLXSTUDIO_HOME`` overrides the root."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "MLX Studio"


def home() -> Path:
    """The root of everything the app stores (created on first use)."""
    env = os.environ.get("MLXSTUDIO_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sub(name: str) -> Path:
    p = home() / name
    p.mkdir(parents=True, exist_ok=True)
    return p


def models_dir() -> Path:
    """The model library: one folder per model."""
    return _sub("models")


def downloads_dir() -> Path:
    """Staging area for downloads in progress (a model moves to the library only when complete and verified)."""
    return _sub("downloads")


def runs_dir() -> Path:
    """Training runs: one folder per run (config, metrics.jsonl, checkpoints, adapter)."""
    return _sub("runs")


def datasets_dir() -> Path:
    """Datasets the app saved (train/valid/test splits)."""
    return _sub("datasets")


def logs_dir() -> Path:
    """Log files (tracebacks go here, not to the user)."""
    return _sub("logs")


def unique_name(root: Path, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``… when a folder of that name already exists in ``root``."""
    if not (root / name).exists():
        return name
    i = 2
    while (root / f"{name}-{i}").exists():
        i += 1
    return f"{name}-{i}"
