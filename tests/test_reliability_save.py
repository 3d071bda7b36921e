"""Reliability of writes: a full disk (ENOSPC, and MLX's own "[write] Unable to write" on a full disk), no permission
or a file in the way of a folder, while writing checkpoints, the adapter, metrics, a fused model, exports, dataset
splits and the recovery file.

Each time: a clear message (exit code 2 — the user can fix it — not an "internal error"), the previous file intact,
nothing half-written left, and the work can go on (training resumes and ends exactly like an uninterrupted run).
(Dataset save ENOSPC/EACCES, the Data page's save failure and the hubs' ENOSPC are tested by their owners.)
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lora_helpers import make_random_adapter
from reliability_faults import CONFIG, Reference, write_data

from mlxstudio.cli import main as cli_main
from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.data.dataset import Dataset, write_splits
from mlxstudio.core.data.recovery import read_recovery, recovery_path, write_recovery
from mlxstudio.core.models.library import list_models
from mlxstudio.core.runtime.mlxrt import mx
from mlxstudio.core.runtime.worker import execute
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training import engine, runs
from mlxstudio.core.training.engine import run_training


def enospc(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))


def mlx_full_disk(monkeypatch: pytest.MonkeyPatch, when: Callable[[Path], bool]) -> list[Path]:
    """``mx.save_safetensors`` behaves as on a full disk for paths where ``when(path)``: half the file is written,
    then MLX's RuntimeError. Returns the paths it failed on."""
    real = mx.save_safetensors
    failed: list[Path] = []

    def save(path: str, arrays: dict[str, Any], metadata: dict[str, str] | None = None) -> None:
        p = Path(path if str(path).endswith(".safetensors") else f"{path}.safetensors")
        if when(p):
            real(str(p), arrays, metadata=metadata or {})
            size = p.stat().st_size
            with open(p, "r+b") as fh:
                fh.truncate(size // 2)
            failed.append(p)
            raise RuntimeError(f"[write] Unable to write {size - size // 2} bytes to file.")
        real(path, arrays, metadata=metadata or {})

    monkeypatch.setattr(mx, "save_safetensors", save)
    return failed


def in_checkpoint(n: int) -> Callable[[Path], bool]:
    return lambda p: p.parent.name.startswith(f".{n:07d}.")


class TornFile(io.TextIOWrapper):
    """A text file whose next write puts half the text on disk, then fails with ENOSPC."""

    def write(self, text: str) -> int:
        super().write(text[: len(text) // 2])
        self.flush()
        raise enospc(self.name)


# -- training ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def setup(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Reference]:
    root = tmp_path_factory.mktemp("reliability-save")
    data = write_data(root / "data")
    return tiny_model_session, data, Reference(tiny_model_session, data, root / "reference", CONFIG)


def fault_checkpoint_weights(mp: pytest.MonkeyPatch) -> None:
    mlx_full_disk(mp, lambda p: in_checkpoint(8)(p) and p.name == "optimizer.safetensors")


def fault_checkpoint_fsync(mp: pytest.MonkeyPatch) -> None:
    real = ckpt._fsync_file

    def fsync(path: Path) -> None:  # delayed allocation: the disk fills up when the data is flushed
        if in_checkpoint(8)(path) and path.name == "adapters.safetensors":
            raise enospc(path)
        real(path)

    mp.setattr(ckpt, "_fsync_file", fsync)


def fault_checkpoint_state(mp: pytest.MonkeyPatch) -> None:
    real = Path.write_text

    def write_text(self: Path, text: str, *a: Any, **k: Any) -> int:
        if self.name == "state.json" and in_checkpoint(8)(self):
            real(self, text[: len(text) // 2], *a, **k)
            raise enospc(self)
        return real(self, text, *a, **k)

    mp.setattr(Path, "write_text", write_text)


def fault_final_adapter(mp: pytest.MonkeyPatch) -> None:
    def when(p: Path) -> bool:
        return p.name.startswith(".adapters.") and (p.parent / "checkpoints" / "0000008").is_dir()

    mlx_full_disk(mp, when)


def fault_metrics(mp: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def open_(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        if Path(file).name == engine.METRICS_FILE and mode == "a":
            calls["n"] += 1
            if calls["n"] == 13:  # the report of iteration 10 (after 1 + 8 train + 1 val + 1 + ... reports)
                return TornFile(open(file, "ab"), encoding=k.get("encoding", "utf-8"))
        return open(file, mode, *a, **k)

    mp.setattr(engine, "open", open_, raising=False)


# fault → newest complete checkpoint after the failure
SAVE_FAULTS = {
    "checkpoint weights (MLX write error)": (fault_checkpoint_weights, 4),
    "checkpoint fsync ENOSPC": (fault_checkpoint_fsync, 4),
    "checkpoint state.json ENOSPC": (fault_checkpoint_state, 4),
    "final adapter (MLX write error)": (fault_final_adapter, 8),
    "metrics.jsonl ENOSPC": (fault_metrics, 8),
}


@pytest.mark.parametrize("fault", list(SAVE_FAULTS))
def test_disk_full_while_training_is_clear_and_resumable(fault: str, setup: tuple[Path, Path, Reference],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, data, ref = setup
    out = tmp_path / "run"
    install, last = SAVE_FAULTS[fault]
    events: list[ev.Event] = []
    with monkeypatch.context() as mp:
        install(mp)
        code = execute("train", {"model": str(model), "data": str(data), "adapter_path": str(out),
                                 "config": CONFIG.to_dict()}, events.append)
    final = events[-1]
    assert isinstance(final, ev.Failed), final
    assert code == 2, final.message
    assert "disk" in final.message and "full" in final.message and "internal error" not in final.message
    assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, last)
    half_done = [p.name for p in out.rglob("*") if p.name.startswith(".")]
    assert not half_done, half_done
    from mlx_lm.utils import load

    load(str(model), adapter_path=str(out))  # the adapter on disk is the previous complete one
    runs.read_run(out)  # the run folder still reads (a torn metrics line is skipped)
    result = run_training(model, data, out, CONFIG, resume=True)
    assert result["resumed_from"] == last
    ref.check(out, model)


def test_output_folder_blocked_is_a_clear_cli_error(tiny_model: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """--adapter-path under a file (ENOTDIR) / in a folder without write permission (EACCES)."""
    data = write_data(tmp_path / "data")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = cli_main(["train", "--model", str(tiny_model), "--data", str(data), "--adapter-path",
                     str(blocker / "run"), "--iters", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "a file is in the way" in err and "Traceback" not in err and "internal" not in err
    assert blocker.read_text() == "not a folder"

    real_mkdir = Path.mkdir

    def mkdir(self: Path, *a: Any, **k: Any) -> None:  # root ignores chmod: deny it here instead
        if self.name == "locked-run":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real_mkdir(self, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "mkdir", mkdir)
        code = cli_main(["train", "--model", str(tiny_model), "--data", str(data), "--adapter-path",
                         str(tmp_path / "locked-run"), "--iters", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "permission denied" in err and "Traceback" not in err


# -- fuse and export -----------------------------------------------------------------------------------------------
def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_disk_full_while_fusing_keeps_the_previous_model(tiny_model: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_random_adapter(tiny_model, tmp_path / "adapter")
    params = {"model": str(tiny_model), "adapter_path": str(adapter), "name": "fused"}
    assert execute("fuse", params) == 0
    before = tree_bytes(paths.models_dir() / "fused")
    events: list[ev.Event] = []
    with monkeypatch.context() as mp:
        failed = mlx_full_disk(mp, lambda p: ".staging-" in str(p))
        assert execute("fuse", params, events.append) == 2
        assert execute("fuse", {**params, "name": "fused-2"}) == 2
    assert failed
    assert isinstance(events[-1], ev.Failed) and "disk is probably full" in events[-1].message
    assert tree_bytes(paths.models_dir() / "fused") == before
    assert [p.name for p in paths.models_dir().iterdir()] == ["fused"], "no staging folder, no half model"
    assert [m.name for m in list_models()] == ["fused"]
    assert list_models()[0].problem is None


@pytest.mark.parametrize("kind", ["folder", "adapter-zip", "adapter-folder"])
def test_disk_full_while_exporting_keeps_the_previous_export(kind: str, tiny_model: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_random_adapter(tiny_model, tmp_path / "adapter")
    dest = tmp_path / "exports" / ("out.zip" if kind == "adapter-zip" else "out")
    params = ({"kind": "folder", "model": str(tiny_model), "dest": str(dest)} if kind == "folder"
              else {"kind": "adapter", "adapter_path": str(adapter), "dest": str(dest)})
    assert execute("export", params) == 0
    before = dest.read_bytes() if dest.is_file() else tree_bytes(dest)
    events: list[ev.Event] = []
    real_copy = shutil.copy2

    def copy2(src: Any, dst: Any, *a: Any, **k: Any) -> Any:
        real_copy(src, dst, *a, **k)
        raise enospc(dst)

    def fsync(fd: int) -> None:
        raise enospc()

    with monkeypatch.context() as mp:
        mp.setattr(shutil, "copy2", copy2)
        mp.setattr(os, "fsync", fsync)
        assert execute("export", params, events.append) == 2
    assert isinstance(events[-1], ev.Failed) and "the disk is full" in events[-1].message
    assert (dest.read_bytes() if dest.is_file() else tree_bytes(dest)) == before
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name], "no staging or temp file left"


# -- datasets ------------------------------------------------------------------------------------------------------
def test_disk_full_while_writing_splits_keeps_all_old_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk on the second split file must not leave a new train.jsonl next to the old valid.jsonl."""
    src = tmp_path / "all.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(20)),
                   encoding="utf-8")
    out = tmp_path / "split"
    assert cli_main(["data", "split", str(src), "--valid-fraction", "0.2", "--test-fraction", "0.2", "--seed", "1",
                     "--out", str(out)]) == 0
    before = tree_bytes(out)
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls["n"] += 1
            if calls["n"] == 2:  # train.jsonl went fine, valid.jsonl hits the full disk
                raise enospc()
        real_fsync(fd)

    capsys.readouterr()
    with monkeypatch.context() as mp:
        mp.setattr(os, "fsync", fsync)
        code = cli_main(["data", "split", str(src), "--valid-fraction", "0.3", "--test-fraction", "0.1",
                         "--seed", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "the disk is full" in err and "Traceback" not in err and "internal" not in err
    assert tree_bytes(out) == before, "every old split file intact, no temp file"

    with monkeypatch.context() as mp:  # and in the engine API the Data page uses: an OSError it shows as-is
        mp.setattr(os, "fsync", fsync)
        calls["n"] = 0
        with pytest.raises(OSError):
            write_splits({"train": Dataset("text", [{"text": "x"}]), "valid": Dataset("text", [{"text": "y"}])}, out)
    assert tree_bytes(out) == before


def test_dataset_file_vanished_before_save_is_written_again(tmp_path: Path) -> None:
    """The file (and its folder) were deleted while open in the app: saving writes it anew with the edits."""
    from mlxstudio.core.data.dataset import load_dataset, save_dataset

    folder = tmp_path / "usb"
    folder.mkdir()
    target = folder / "pairs.jsonl"
    target.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    ds = load_dataset(target)
    ds.set_cell(0, "completion", "edited")
    shutil.rmtree(folder)
    save_dataset(ds)
    assert load_dataset(target).rows == [{"prompt": "a", "completion": "edited"}]


def test_recovery_autosave_failure_keeps_the_previous_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = Dataset("completion", [{"prompt": "a", "completion": "first"}])
    write_recovery(ds)
    before = recovery_path().read_bytes()
    ds.set_cell(0, "completion", "second")

    def fsync(fd: int) -> None:
        raise enospc()

    with monkeypatch.context() as mp:
        mp.setattr(os, "fsync", fsync)
        with pytest.raises(OSError):
            write_recovery(ds)
    assert recovery_path().read_bytes() == before
    assert [p.name for p in recovery_path().parent.iterdir()] == [recovery_path().name]
    rec = read_recovery()
    assert rec is not None and rec.dataset.rows[0]["completion"] == "first"


def test_saving_keeps_the_file_permissions(tmp_path: Path) -> None:
    """Atomic saves write a temp file (mkstemp makes it 0600) and rename it: the saved file must keep the mode the
    person's file had, and a new file gets the usual mode — not become unreadable to everyone else."""
    from mlxstudio.core.data.dataset import load_dataset, save_dataset

    target = tmp_path / "pairs.jsonl"
    target.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    for mode in (0o644, 0o640, 0o664):
        target.chmod(mode)
        ds = load_dataset(target)
        ds.set_cell(0, "completion", f"mode {mode:o}")
        save_dataset(ds)
        assert stat.S_IMODE(target.stat().st_mode) == mode
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = save_dataset(load_dataset(target), tmp_path / "new.csv")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
