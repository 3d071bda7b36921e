"""`mlxstudio-cli data validate|split|stats` over the bad-input corpus and the unusual-but-valid files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlxstudio.cli import main

DATA = Path(__file__).parent / "data"
EXPECTED: dict[str, dict] = json.loads((DATA / "bad" / "EXPECTED.json").read_text())
BAD = sorted(EXPECTED)
OK = sorted(p.name for p in (DATA / "ok").iterdir())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_corpus_is_big_enough() -> None:
    assert len(BAD) >= 40
    assert all((DATA / "bad" / name).exists() for name in BAD)
    assert len(OK) >= 15


@pytest.mark.parametrize("name", BAD)
def test_validate_bad_file(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "bad" / name
    want = EXPECTED[name]
    code, out, err = run(["data", "validate", str(path)], capsys)
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    assert code == want["exit"], out + err
    if want["line"] is not None:
        assert f"{path}:{want['line']}: " in out, out
    else:
        assert f"{path}: " in out + err
    first = (out or err).splitlines()[0]
    assert len(first) < 400, "messages must not dump huge lines"
    # --json gives the same verdict, machine-readable
    code_json, out_json, _ = run(["--json", "data", "validate", str(path)], capsys)
    assert code_json == code
    result = json.loads(out_json.strip().splitlines()[-1])["data"]
    assert result["exit_code"] == code
    lines = {p["line"] for f in result["files"] for p in f["problems"]}
    if want["line"] is not None:
        assert want["line"] in lines


@pytest.mark.parametrize("name", [n for n in BAD if EXPECTED[n]["exit"] != 0])
def test_split_bad_file_writes_nothing(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(["data", "split", str(DATA / "bad" / name), "--out", str(out_dir)], capsys)
    assert code in (1, 2)
    assert "Traceback" not in out + err
    assert not out_dir.exists() or not any(out_dir.iterdir())


@pytest.mark.parametrize("name", OK)
def test_validate_ok_file(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["data", "validate", str(DATA / "ok" / name)], capsys)
    assert code == 0, out + err
    assert out.strip() == ""  # no problems at all, not even warnings


def test_validate_several_files_worst_exit_code(seed_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["data", "validate", str(seed_data), str(DATA / "bad" / "empty_completion.jsonl"),
                        str(DATA / "bad" / "invalid_json.jsonl")], capsys)
    assert code == 2
    assert "empty_completion.jsonl:2:" in out and "invalid_json.jsonl:2:" in out
    code, out, _ = run(["data", "validate", str(seed_data), str(DATA / "bad" / "empty_completion.jsonl")], capsys)
    assert code == 1


def test_validate_missing_file_and_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["data", "validate", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2 and "not found" in out
    code, out, _ = run(["data", "validate", str(tmp_path)], capsys)
    assert code == 2 and "folder" in out


def test_split_seed_is_deterministic(seed_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["data", "split", str(seed_data), "--valid-fraction", "0.2", "--test-fraction", "0.2", "--seed", "7"]
    assert run([*args, "--out", str(tmp_path / "a")], capsys)[0] == 0
    assert run([*args, "--out", str(tmp_path / "b")], capsys)[0] == 0
    for name in ("train", "valid", "test"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_bytes() == (tmp_path / "b" / f"{name}.jsonl").read_bytes()
    rows = [json.loads(line) for n in ("train", "valid", "test")
            for line in (tmp_path / "a" / f"{n}.jsonl").read_text(encoding="utf-8").splitlines()]
    original = [json.loads(line) for line in seed_data.read_text(encoding="utf-8").splitlines()]
    assert sorted(map(json.dumps, rows)) == sorted(map(json.dumps, original))
    assert len((tmp_path / "a" / "train.jsonl").read_text().splitlines()) == 3


def test_split_bad_fractions(seed_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["data", "split", str(seed_data), "--valid-fraction", "0.6", "--test-fraction", "0.5",
                          "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "fraction" in err
    assert not (tmp_path / "x").exists()


def test_stats_with_tokenizer(seed_data: Path, tiny_tokenizer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--json", "data", "stats", str(seed_data), "--model", str(tiny_tokenizer),
                        "--max-seq-length", "30"], capsys)
    assert code == 0
    data = json.loads(out.strip().splitlines()[-1])["data"]
    assert data["rows"] == 5 and data["format"] == "completion"
    assert data["tokens"]["trained"] > 0 and data["tokens"]["total"] > data["tokens"]["trained"]
    assert data["truncated_rows"] >= 1


def test_validate_long_rows_with_tokenizer(seed_data: Path, tiny_tokenizer: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["data", "validate", str(seed_data), "--model", str(tiny_tokenizer), "--max-seq-length", "26"],
                       capsys)
    assert code == 0  # long rows are warnings
    assert "maximum sequence length 26" in out


def test_console_script_no_traceback() -> None:
    """The real entry point, as a user runs it (one subprocess, the rest runs in-process)."""
    bad = DATA / "bad" / "deep_nesting.jsonl"
    proc = subprocess.run([sys.executable, "-m", "mlxstudio.cli", "data", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{bad}:2: " in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
