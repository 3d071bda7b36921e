"""Security basics end to end: a Hugging Face token used for a download (and sitting in the environment, as people
keep it) is never written anywhere — library, run folder, logs, worker crash logs, fused model, exports, CLI output —
and nothing exported (model card, adapter config, Modelfile, GGUF metadata) contains a local absolute path.

(test_hub.py checks the token after a download alone and that only the chosen hub is contacted; test_export.py checks
the model card of a folder export; test_reliability_models.py checks that no code from a model folder runs.)
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401
from reliability_faults import write_data

from mlxstudio.cli import main as cli_main
from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.runtime.worker import WorkerProcess, execute
from mlxstudio.core.training import runs

SECRET = "hf_ReliabilityS3cretToken0123456789"


def files_containing(root: Path, needle: bytes) -> list[str]:
    found = []
    for p in root.rglob("*"):
        if p.is_file() and needle in p.read_bytes():
            found.append(str(p))
        elif p.is_file() and p.suffix == ".zip":
            with zipfile.ZipFile(p) as zf:
                found += [f"{p}!{n}" for n in zf.namelist() if needle in zf.read(n)]
    return found


def test_token_is_never_written_and_exports_hold_no_local_paths(fake_hub: FakeHub, tmp_path: Path,  # noqa: F811
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MY_HF_TOKEN", SECRET)
    monkeypatch.setenv("HF_TOKEN", SECRET)  # where people keep it: every child process inherits it
    fake_hub.faults.require_token = SECRET
    printed: list[str] = []

    def cli(*argv: str) -> int:
        code = cli_main(list(argv))
        cap = capsys.readouterr()
        printed.append(cap.out + cap.err)
        return code

    # a failed attempt first (wrong token) and a refused one (no token): their errors and logs too
    monkeypatch.setenv("WRONG_TOKEN", SECRET[::-1])
    assert cli("download", "--hub", "huggingface", TEST_REPO, "--endpoint", fake_hub.url, "--token-env",
               "WRONG_TOKEN") == 2
    assert cli("download", "--hub", "huggingface", TEST_REPO, "--endpoint", fake_hub.url, "--token-env",
               "MY_HF_TOKEN", "--name", "gated") == 0

    # train (a run folder in the app's runs), fuse (into the library), export every kind
    data = write_data(tmp_path / "data")
    assert cli("train", "--model", "gated", "--data", str(data), "--iters", "4", "--num-layers", "1",
               "--save-every", "2", "--steps-per-eval", "2") == 0
    (run,) = runs.list_runs()
    assert cli("fuse", "--model", "gated", "--adapter-path", str(run.path), "--name", "gated-tuned",
               "--dequantize") == 0
    fused = paths.models_dir() / "gated-tuned"
    exports = tmp_path / "exports"
    for params in ({"kind": "folder", "model": str(fused), "dest": str(exports / "folder"),
                    "adapter_path": str(run.path), "dataset": str(data / "train.jsonl")},
                   {"kind": "adapter", "adapter_path": str(run.path), "dest": str(exports / "adapter.zip")},
                   {"kind": "adapter", "adapter_path": str(run.path), "dest": str(exports / "adapter")},
                   {"kind": "gguf", "model": str(fused), "dest": str(exports / "ollama")}):
        events: list[ev.Event] = []
        assert execute("export", params, events.append) == 0, events[-1]

    # crash reports: an internal error in the app, a worker that dies, a worker whose job raises
    assert cli("generate", "--model", str(tmp_path / "nope"), "--prompt", "x") == 2
    for fail in ("internal", "crash"):
        w = WorkerProcess("selftest", {"steps": 2, "fail": fail})
        assert isinstance(w.run(), ev.Failed)
    from mlxstudio.core.logs import log_exception

    log_exception(RuntimeError("an unexpected failure while the token was in the environment"))

    # the token: nowhere on disk (home: library, runs, logs, downloads staging; exports) and never printed
    assert files_containing(paths.home(), SECRET.encode()) == []
    assert files_containing(exports, SECRET.encode()) == []
    assert not [p for p in printed if SECRET in p or SECRET[::-1] in p]
    assert files_containing(paths.home(), SECRET[::-1].encode()) == []
    assert any(paths.logs_dir().iterdir()), "the crash reports were written (and checked)"

    # exports: nothing that points into this machine
    local = [str(tmp_path), str(paths.home()), str(Path.home()), str(fake_hub.url)]
    for needle in local:
        assert files_containing(exports, needle.encode()) == [], needle
    card = (exports / "folder" / "README.md").read_text(encoding="utf-8")
    assert "base_model: gated" in card
    cfg = json.loads((exports / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    assert cfg["model"] == "gated" and not Path(str(cfg.get("data", ""))).is_absolute()
    assert "\nFROM ./" in (exports / "ollama" / "Modelfile").read_text(encoding="utf-8")
