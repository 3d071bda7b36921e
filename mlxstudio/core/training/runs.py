"""The run store: one folder per training run under :func:`paths.runs_dir` (Qt-free).

Layout of a run folder (the training engine writes everything except ``run.json``)::

    <runs>/<run id>/
        run.json               what ran: model, dataset (path + hash), versions, status, message (this module)
        config.yaml            the hyperparameters (mlx_lm-compatible)
        metrics.jsonl          one JSON record per report: iteration + train_loss/learning_rate/… or val_loss
        adapters.safetensors   the final adapter (+ adapter_config.json), loadable with mlx_lm
        checkpoints/           complete checkpoints the run can resume from

The GUI lists runs with :func:`list_runs`, opens a run's curves with :func:`read_metrics`, and keeps ``run.json``
up to date with :func:`create_run` / :func:`update_run`. Estimating a run's time and memory is here too
(:func:`estimate_run`) because it learns from the speed of past runs.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlxstudio.core import paths
from mlxstudio.core.fsutil import atomic_write_json

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINTS_DIR = "checkpoints"
ADAPTER_FILE = "adapters.safetensors"

STATUSES = ("created", "running", "finished", "stopped", "failed", "interrupted")
"""``interrupted``: run.json says running but no process is alive (the app or the worker died)."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint of a run: the iteration it was taken at and its path (a folder or a file)."""

    iteration: int
    path: Path


@dataclass
class RunInfo:
    """What the runs list shows about a run, read from its folder."""

    path: Path
    name: str
    created: _dt.datetime | None
    model: str = ""
    dataset: str = ""
    status: str = "created"
    message: str = ""
    total_iterations: int = 0
    last_iteration: int = 0
    final_train_loss: float | None = None
    final_val_loss: float | None = None
    best_val_loss: float | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def _result(self, key: str) -> Any:
        result = self.meta.get("result")
        return result.get(key) if isinstance(result, dict) else None

    @property
    def test_loss(self) -> float | None:
        """The loss on the test split after training (``test: true``), from the run's result."""
        v = self._result("test_loss")
        return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    @property
    def test_ppl(self) -> float | None:
        v = self._result("test_ppl")
        return float(v) if isinstance(v, (int, float)) else None

    @property
    def full_model(self) -> Path | None:
        """The library folder of a full fine-tune's saved model (None for adapter runs)."""
        v = self._result("full_model")
        return Path(str(v)) if v else None

    @property
    def has_adapter(self) -> bool:
        """True when the final adapter file exists."""
        return (self.path / ADAPTER_FILE).exists()

    @property
    def last_checkpoint(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def can_resume(self) -> bool:
        """A run that did not finish and has a checkpoint can continue."""
        return self.status in ("stopped", "failed", "interrupted") and bool(self.checkpoints)


# -- creating and updating ---------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    s = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")
    return s[:40] or "run"


def new_run_dir(model_name: str = "", root: Path | None = None, now: _dt.datetime | None = None) -> Path:
    """Create and return an empty, uniquely named run folder (``20260101-120000-<model>``)."""
    root = root or paths.runs_dir()
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{_slug(model_name)}" if model_name else stamp
    for i in range(1000):
        p = root / (base if i == 0 else f"{base}-{i + 1}")
        try:
            p.mkdir(parents=True)
            return p
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run folder under {root}")


def versions() -> dict[str, str]:
    """Versions that decide whether a run can be reproduced: mlx, mlx-lm, MLX Studio, Python."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("mlx", "mlx-lm", "mlxstudio"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def dataset_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 over a dataset file, or over a folder's ``*.jsonl``/``*.csv`` files (names and contents)."""
    p = Path(path)
    h = hashlib.sha256()
    files = [p] if p.is_file() else sorted(f for f in p.iterdir() if f.suffix in (".jsonl", ".csv") and f.is_file())
    for f in files:
        if p.is_dir():
            h.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(functools.partial(fh.read, 1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def create_run(run_dir: Path, *, model: str | os.PathLike[str], dataset: str | os.PathLike[str],
               config: dict[str, Any] | None = None, total_iterations: int = 0, name: str | None = None) -> dict:
    """Write the run's ``run.json`` (what is trained on what, with which versions) and return it."""
    if name is None:
        others = [d for d in run_dir.parent.iterdir() if d.is_dir() and not d.name.startswith(".")]
        name = f"Run {len(others)}"
    data: dict[str, Any] = {
        "name": name,
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "model": Path(model).name,
        "model_path": str(model),
        "dataset": str(dataset),
        "dataset_sha256": dataset_hash(dataset) if Path(dataset).exists() else None,
        "versions": versions(),
        "total_iterations": total_iterations,
        "status": "created",
        "message": "",
        "owner_pid": os.getpid(),
    }
    if config is not None:
        data["config"] = config
    atomic_write_json(run_dir / RUN_FILE, data)
    return data


def read_meta(run_dir: Path) -> dict[str, Any]:
    """The run's ``run.json`` (an empty dict when missing or unreadable)."""
    try:
        data = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_run(run_dir: Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` (e.g. ``status="running", pid=123``) into ``run.json`` atomically; return the result."""
    data = read_meta(run_dir)
    data.update(changes)
    data["updated"] = _dt.datetime.now().isoformat(timespec="seconds")
    atomic_write_json(run_dir / RUN_FILE, data)
    return data


# -- reading -----------------------------------------------------------------------------------------------------
def iter_metrics(run_dir: Path) -> Iterator[dict[str, Any]]:
    """Records of ``metrics.jsonl`` that carry an iteration. A torn last line (a crash mid-write) is skipped."""
    f = run_dir / METRICS_FILE
    try:
        fh = f.open(encoding="utf-8")
    except OSError:
        return
    with fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("iteration"), int):
                yield rec


def read_metrics(run_dir: Path, until: int | None = None) -> list[dict[str, Any]]:
    """All metric records, in file order; with ``until``, only those at iterations ≤ ``until``.

    When a run was resumed, the file may hold reports past the checkpoint it resumed from followed by the new
    ones; later records for an iteration replace earlier ones (the curve shows what the resumed run did).
    """
    out: list[dict[str, Any]] = []
    last = {"train": -1, "val": -1}
    for rec in iter_metrics(run_dir):
        it = rec["iteration"]
        if until is not None and it > until:
            continue
        kind = _kind(rec)
        if it <= last[kind]:  # a rewritten tail: the run went back to a checkpoint before ``it``
            if kind == "train":
                out = [r for r in out if r["iteration"] < it]
            else:
                out = [r for r in out if not (_kind(r) == "val" and r["iteration"] >= it)]
            last = {k: max((r["iteration"] for r in out if _kind(r) == k), default=-1) for k in last}
        last[kind] = it
        out.append(rec)
    return out


def _kind(rec: dict[str, Any]) -> str:
    return "val" if "val_loss" in rec else "train"


_ITER_RE = re.compile(r"(\d+)")


def list_checkpoints(run_dir: Path) -> list[Checkpoint]:
    """Checkpoints in ``checkpoints/``, oldest first (entries whose name has no iteration number are skipped).

    Hidden/temporary entries (a checkpoint being written) are ignored: the engine renames them into place when
    complete.
    """
    folder = run_dir / CHECKPOINTS_DIR
    out: list[Checkpoint] = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.startswith(".") or entry.name.endswith(".tmp"):
                continue
            m = _ITER_RE.findall(entry.name)
            if entry.is_dir() and not any((entry / f).exists() for f in ("manifest.json", ADAPTER_FILE)):
                continue  # incomplete
            if m:
                out.append(Checkpoint(int(m[-1]), entry))
    out.sort(key=lambda c: c.iteration)
    return out


def checkpoint_adapter(checkpoint: Path, run_dir: Path | None = None) -> Path:
    """A folder ``mlx_lm.load(..., adapter_path=)`` accepts for a checkpoint (weights + ``adapter_config.json``).

    A checkpoint folder holds the adapter weights but maybe not the adapter config; then the weights and the run's
    ``adapter_config.json`` are copied to ``<run>/checkpoint-adapters/<iteration>/`` (small files; the checkpoint
    itself is never modified). Raises FileNotFoundError when the run has no adapter config.
    """
    import shutil

    checkpoint = Path(checkpoint)
    if (checkpoint / "adapter_config.json").exists():
        return checkpoint
    run_dir = run_dir or checkpoint.parent.parent
    config = run_dir / "adapter_config.json"
    weights = checkpoint / ADAPTER_FILE if checkpoint.is_dir() else checkpoint
    if not config.exists() or not weights.exists():
        raise FileNotFoundError(f"{checkpoint} cannot be loaded as an adapter (no adapter_config.json in {run_dir})")
    out = run_dir / "checkpoint-adapters" / checkpoint.name
    staging = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(weights, staging / ADAPTER_FILE)
    shutil.copy2(config, staging / "adapter_config.json")
    from mlxstudio.core.fsutil import replace_dir

    replace_dir(staging, out)
    return out


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _int(v: Any) -> int:
    try:
        return int(v or 0)
    except (TypeError, ValueError):
        return 0


def read_run(run_dir: Path) -> RunInfo:
    """Everything the runs list shows about one run folder (never raises for a damaged folder)."""
    meta = read_meta(run_dir)
    created = None
    with contextlib.suppress(KeyError, TypeError, ValueError):
        created = _dt.datetime.fromisoformat(meta["created"])
    if created is None:
        with contextlib.suppress(OSError):
            created = _dt.datetime.fromtimestamp(run_dir.stat().st_mtime)
    info = RunInfo(path=run_dir, name=str(meta.get("name") or run_dir.name), created=created,
                   model=str(meta.get("model") or ""), dataset=str(meta.get("dataset") or ""),
                   status=str(meta.get("status") or ("finished" if (run_dir / ADAPTER_FILE).exists() else "created")),
                   message=str(meta.get("message") or ""),
                   total_iterations=_int(meta.get("total_iterations")), meta=meta)
    if info.status == "running" and not (_pid_alive(meta.get("pid")) or _pid_alive(meta.get("owner_pid"))):
        info.status = "interrupted"
        info.message = info.message or "The training process ended without saying why (the app or the worker quit)."
    vals: list[float] = []
    for rec in read_metrics(run_dir):
        info.last_iteration = max(info.last_iteration, rec["iteration"])
        loss = rec.get("train_loss")
        if isinstance(loss, (int, float)) and math.isfinite(loss):
            info.final_train_loss = float(loss)
        v = rec.get("val_loss")
        if isinstance(v, (int, float)) and math.isfinite(v):
            vals.append(float(v))
    if vals:
        info.final_val_loss = vals[-1]
        info.best_val_loss = min(vals)
    info.checkpoints = list_checkpoints(run_dir)
    return info


def list_runs(root: Path | None = None) -> list[RunInfo]:
    """Every run folder under ``root`` (default :func:`paths.runs_dir`), newest first."""
    root = root or paths.runs_dir()
    runs = []
    with contextlib.suppress(OSError):
        for d in root.iterdir():
            if d.is_dir() and not d.name.startswith("."):
                runs.append(read_run(d))
    runs.sort(key=lambda r: (r.created or _dt.datetime.min, r.name), reverse=True)
    return runs


def measured_tokens_per_second(model_name: str, root: Path | None = None) -> float | None:
    """Input tokens (prompt + answer, what :func:`estimate_run` counts) per second of training of the most recent
    finished run of ``model_name``, from the result the engine returned (kept in ``run.json``); None if none."""
    for run in list_runs(root):
        res = run.meta.get("result")
        if run.model != model_name or not isinstance(res, dict):
            continue
        tokens, seconds = res.get("input_tokens"), res.get("train_time")
        if isinstance(tokens, (int, float)) and isinstance(seconds, (int, float)) and tokens > 0 and seconds > 0:
            return float(tokens) / float(seconds)
    return None


# -- planning ----------------------------------------------------------------------------------------------------
ASSUMED_FLOPS = {"cpu": 100e9, "metal": 2e12}
"""Effective FLOP/s a LoRA step reaches when no past run of the model says better (deliberately conservative)."""


@dataclass(frozen=True)
class Estimate:
    """A run's expected duration and peak memory, and how the speed was obtained."""

    seconds: float | None
    memory_bytes: int | None
    tokens: int
    tokens_per_second: float | None
    basis: str


def estimate_run(*, iterations: int, batch_size: int, mean_tokens: float, max_seq_length: int,
                 parameters: int | None = None, memory_bytes: int | None = None,
                 tokens_per_second: float | None = None, backend: str = "cpu") -> Estimate:
    """Duration of a run from the tokens it trains on and a speed: measured (a past run) or from the FLOP count.

    ``mean_tokens`` is the mean row length in tokens; rows longer than ``max_seq_length`` are cut. Validation and
    checkpoints are not counted (they add a few percent with the defaults).
    """
    per_row = min(max(mean_tokens, 1.0), float(max_seq_length))
    tokens = int(iterations * batch_size * per_row)
    basis = "measured on a previous run of this model"
    tps = tokens_per_second
    if not tps and parameters:
        tps = ASSUMED_FLOPS.get(backend, ASSUMED_FLOPS["cpu"]) / (4.0 * parameters)
        basis = "rough: estimated from the model size (improves after the first run)"
    seconds = tokens / tps if tps else None
    if seconds is None:
        basis = "unknown speed"
    return Estimate(seconds=seconds, memory_bytes=memory_bytes, tokens=tokens, tokens_per_second=tps, basis=basis)


def _row_texts(row: Any) -> list[str]:
    if not isinstance(row, dict):
        return []
    if isinstance(row.get("messages"), list):
        return [str(m.get("content", "")) for m in row["messages"] if isinstance(m, dict)]
    return [str(row[k]) for k in ("prompt", "completion", "text") if isinstance(row.get(k), str)]


def mean_row_tokens(rows: list[Any], model_dir: Path | None = None, sample: int = 2000) -> float:
    """Mean length of ``rows`` in tokens (chat-template overhead included), with the model's tokenizer when it has
    a ``tokenizer.json`` (fast, no MLX), else ~1 token per CJK character / 4 bytes of other text."""
    rows = rows[:sample]
    if not rows:
        return 0.0
    encode = None
    tok_file = model_dir / "tokenizer.json" if model_dir else None
    if tok_file is not None and tok_file.exists():
        with contextlib.suppress(Exception):
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(tok_file))
            encode = lambda texts: sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))  # noqa: E731
    total = 0.0
    for row in rows:
        texts = [t for t in _row_texts(row) if t]
        if encode is not None and texts:
            total += encode(texts)
        else:
            for t in texts:
                cjk = sum(1 for ch in t if ord(ch) >= 0x2E80)
                total += cjk + (len(t.encode("utf-8")) - 3 * cjk) / 4
        total += 6 * max(1, len(texts))  # role markers / special tokens of the chat template
    return total / len(rows)


def count_parameters(model_dir: Path) -> int | None:
    """Parameters of a model folder, from its safetensors headers (no weights loaded; packed 4/8-bit weights are
    counted unpacked, quantization scales/biases are not counted). None when there are no readable files."""
    import struct

    bits = 0
    with contextlib.suppress(OSError, ValueError):
        q = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("quantization") or {}
        bits = int(q.get("bits") or 0)
    total = 0
    for f in sorted(model_dir.glob("*.safetensors")):
        try:
            with f.open("rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(n))
        except (OSError, ValueError, struct.error):
            continue
        for name, t in header.items():
            if name == "__metadata__" or not isinstance(t, dict) or name.endswith((".scales", ".biases")):
                continue
            count = math.prod(t.get("shape") or [1])
            if bits and t.get("dtype") == "U32":
                count = count * 32 // bits
            total += count
    return total or None
