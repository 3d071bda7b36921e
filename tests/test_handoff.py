"""Hand-offs to LM Studio (a fake ~/.lmstudio) and Ollama (a fake ``ollama`` script on PATH)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.inference import handoff


def _mlx_folder(root: Path) -> Path:
    m = root / "tiny-run-1"
    m.mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (m / name).write_text(name)
    return m


def test_lmstudio_missing_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(handoff.AppMissing, match=r"LM Studio is not installed.*lmstudio\.ai"):
        handoff.place_in_lmstudio(_mlx_folder(tmp_path / "src"), home=tmp_path / "home")


def test_mlx_folder_is_linked_into_lmstudio(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".lmstudio" / "models").mkdir(parents=True)
    src = _mlx_folder(tmp_path / "src")
    target = handoff.place_in_lmstudio(src, home=home)
    assert target == home / ".lmstudio" / "models" / "mlxstudio" / "tiny-run-1"
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert all(p.is_symlink() and p.resolve().parent == src.resolve() for p in target.iterdir())
    # again (a re-fused model): the entry is replaced, not duplicated
    (src / "extra.json").write_text("{}")
    again = handoff.place_in_lmstudio(src, home=home)
    assert again == target and (target / "extra.json").is_symlink()


def test_gguf_is_copied_into_a_moved_lmstudio_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    moved = tmp_path / "big-disk" / "lmstudio"
    moved.mkdir(parents=True)
    (home / ".lmstudio-home-pointer").write_text(str(moved))
    gguf = tmp_path / "out" / "tiny-run-1-f16.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF....")
    target = handoff.place_in_lmstudio(gguf.parent, "My Tuned: model", copy=True, home=home)
    assert target == moved / "models" / "mlxstudio" / "My-Tuned-model"
    placed = target / gguf.name
    assert placed.is_file() and not placed.is_symlink() and placed.read_bytes() == b"GGUF...."


def test_lmstudio_refuses_what_is_not_a_model(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".lmstudio").mkdir(parents=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.UserError, match="neither an MLX model folder"):
        handoff.place_in_lmstudio(tmp_path / "empty", home=home)


def fake_ollama(bin_dir: Path, code: int = 0) -> Path:
    """An ``ollama`` script that records its arguments and working folder, prints progress, exits ``code``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "ollama"
    script.write_text("#!/bin/sh\n"
                      'echo "$@" > "$OLLAMA_FAKE_LOG"\npwd >> "$OLLAMA_FAKE_LOG"\n'
                      'echo "gathering model components"\necho "copying file sha256:abc 100%"\n'
                      f'if [ {code} -ne 0 ]; then echo "Error: could not connect to ollama app, is it running?"; '
                      f"exit {code}; fi\n"
                      'echo "success"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-run-1-gguf"
    folder.mkdir()
    (folder / "tiny-run-1-f16.gguf").write_bytes(b"GGUF")
    (folder / "Modelfile").write_text("FROM ./tiny-run-1-f16.gguf\n")
    return folder / "Modelfile"


def test_ollama_missing_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, exported: Path) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(handoff.sys, "platform", "linux")
    assert handoff.find_ollama() is None
    with pytest.raises(handoff.AppMissing, match=r"Ollama is not installed.*ollama\.com"):
        handoff.create_in_ollama(exported, "tiny")


def test_ollama_create_runs_with_the_modelfile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               exported: Path) -> None:
    fake_ollama(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("OLLAMA_FAKE_LOG", str(tmp_path / "calls.txt"))
    lines: list[str] = []
    result = handoff.create_in_ollama(exported, "Tiny Run 1", sink=lambda e: lines.append(e.message)
                                      if isinstance(e, ev.Log) else None)
    args, cwd = (tmp_path / "calls.txt").read_text().splitlines()
    assert args == "create tiny-run-1 -f Modelfile" and Path(cwd).resolve() == exported.parent.resolve()
    assert result == {"name": "tiny-run-1", "output": "gathering model components\ncopying file sha256:abc 100%\n"
                                                      "success", "run": "ollama run tiny-run-1"}
    assert lines[-1] == "success"


def test_ollama_failure_shows_its_words(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exported: Path) -> None:
    exe = fake_ollama(tmp_path / "bin", code=1)
    monkeypatch.setenv("OLLAMA_FAKE_LOG", str(tmp_path / "calls.txt"))
    with pytest.raises(errors.UserError, match=r"(?s)Is the Ollama app running.*could not connect"):
        handoff.create_in_ollama(exported, "tiny", ollama=str(exe))


def test_ollama_name() -> None:
    assert handoff.ollama_name("Qwen3-0.6B 客服 v2") == "qwen3-0.6b-v2"
    assert handoff.ollama_name("!!!") == "mlxstudio-model"
