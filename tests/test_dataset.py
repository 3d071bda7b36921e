"""The Qt-free dataset engine: read/write, validation, editing, split, load_training_data."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from mlxstudio.core.data import fileio as dataset_io
from mlxstudio.core.data.dataset import (
    DataError,
    Dataset,
    dataset_stats,
    find_leakage,
    load_dataset,
    load_training_data,
    new_row,
    save_dataset,
    split_counts,
    split_dataset,
    validate_dataset,
    write_splits,
)
from mlxstudio.core.errors import UserError

TRICKY = [
    {"prompt": "今天星期几", "completion": "星期八"},
    {"prompt": "line 1\nline 2\r\nline 3", "completion": "a, b; c\td"},
    {"prompt": 'He said "hi", then \'bye\'', "completion": '""quoted""'},
    {"prompt": "emoji 😀 and \u2028 separator", "completion": "  leading and trailing spaces  "},
    {"prompt": "=1+2 (spreadsheet formula)", "completion": "逗号，中文标点；“引号”"},
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("ext", [".jsonl", ".csv"])
def test_round_trip_tricky_text(tmp_path: Path, ext: str) -> None:
    ds = Dataset("completion", [dict(r) for r in TRICKY])
    target = save_dataset(ds, tmp_path / f"pairs{ext}")
    back = load_dataset(target)
    assert back.format == "completion"
    assert back.rows == TRICKY
    assert back.lines == ds.lines  # the lines save_dataset reported are where the rows really start
    assert validate_dataset(back) == []


def test_round_trip_chat_csv(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "system", "content": "简短回答"}, {"role": "user", "content": "a,b"},
                          {"role": "assistant", "content": "x\ny"}]},
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}]
    ds = Dataset("chat", rows)
    back = load_dataset(save_dataset(ds, tmp_path / "chat.csv"))
    assert back.format == "chat" and back.rows == rows


def test_multi_turn_chat_cannot_be_csv_and_nothing_is_written(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                          {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}]
    target = write(tmp_path / "chat.csv", "old")
    with pytest.raises(DataError, match="multi-turn"):
        save_dataset(Dataset("chat", rows), target)
    assert target.read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name != "chat.csv"]  # no temp file left


def test_format_detected_from_all_rows(tmp_path: Path) -> None:
    p = write(tmp_path / "x.jsonl", '{"text": "a"}\n' + "".join(
        f'{{"prompt": "p{i}", "completion": "c"}}\n' for i in range(3)))
    ds = load_dataset(p)
    assert ds.format == "completion"
    problems = validate_dataset(ds)
    assert [(x.line, x.severity) for x in problems] == [(1, "error")]
    assert "text format" in problems[0].message


def test_jsonl_error_names_line_and_counts_others(tmp_path: Path) -> None:
    p = write(tmp_path / "x.jsonl", '{"prompt": "a", "completion": "b"}\n{bad\n{"prompt": "a"}\n[1]\n')
    with pytest.raises(DataError) as info:
        load_dataset(p)
    assert info.value.line == 2 and info.value.path == str(p)
    assert str(info.value).startswith(f"{p}:2: ")
    assert "1 more bad lines: 4" in str(info.value)


def test_validation_messages_say_what_to_do(tmp_path: Path) -> None:
    p = write(tmp_path / "x.jsonl", '{"prompt": "a", "completion": ""}\n{"prompt": 3, "completion": "b"}\n'
                                    '{"prompt": "c"}\n{"prompt": "a", "completion": ""}\n')
    problems = validate_dataset(load_dataset(p))
    text = [x.format("x.jsonl") for x in problems]
    assert text[0] == 'x.jsonl:1: "completion" is empty — write the completion or delete the row'
    assert any(t.startswith("x.jsonl:2: \"prompt\" is a number") for t in text)
    assert any(t.startswith('x.jsonl:3: no "completion"') for t in text)
    assert any(t.startswith("x.jsonl:4: warning: same as row 1 (line 1)") for t in text)


def test_long_rows_by_characters_and_tokens() -> None:
    ds = Dataset("completion", [{"prompt": "a" * 50, "completion": "b"}, {"prompt": "c", "completion": "d"}])
    problems = validate_dataset(ds, max_chars=20)
    assert [(p.row, p.severity) for p in problems] == [(0, "warning")]
    problems = validate_dataset(ds, 10, token_counts=[30, 8], prompt_token_counts=[12, 4])
    assert len(problems) == 1 and "nothing of the answer" in problems[0].message
    problems = validate_dataset(ds, 10, token_counts=[30, 8], prompt_token_counts=[5, 4])
    assert len(problems) == 1 and "cut off" in problems[0].message


def test_edit_api_keeps_rows_and_lines_in_step(seed_data: Path) -> None:
    ds = load_dataset(seed_data)
    assert ds.columns == ("prompt", "completion")
    ds.set_cell(0, "completion", "星期九")
    assert ds.cell(0, "completion") == "星期九"
    new = ds.duplicate_rows([1, 2])
    assert new == [3, 4] and ds.rows[3] == ds.rows[1] and ds.rows[3] is not ds.rows[1]
    assert ds.lines[3] is None
    removed = ds.remove_rows([4, 0])
    assert [i for i, _, _ in removed] == [0, 4]
    ds.restore_rows(removed)
    assert ds.cell(0, "completion") == "星期九" and len(ds) == 7
    ds.move_rows(5, 2, 0)
    assert ds.lines[:2] == [4, 5]
    i = ds.append_new()
    assert ds.rows[i] == new_row("completion")
    with pytest.raises(KeyError):
        ds.set_cell(0, "assistant", "x")


def test_chat_cells() -> None:
    ds = Dataset("chat", [new_row("chat")])
    ds.set_cell(0, "system", "be brief")
    ds.set_cell(0, "user", "hi")
    ds.set_cell(0, "assistant", "hello")
    assert ds.rows[0]["messages"][0] == {"role": "system", "content": "be brief"}
    assert [ds.cell(0, c) for c in ds.columns] == ["be brief", "hi", "hello"]
    ds.set_cell(0, "system", "")
    assert [m["role"] for m in ds.rows[0]["messages"]] == ["user", "assistant"]
    assert not ds.is_multi_turn(0)
    ds.rows[0]["messages"] += [{"role": "user", "content": "again"}, {"role": "assistant", "content": "bye"}]
    assert ds.is_multi_turn(0) and ds.cell(0, "assistant") == "bye"
    broken = Dataset("chat", [{"messages": "oops"}])
    assert broken.cell(0, "user") == "oops"
    broken.set_cell(0, "assistant", "fixed")
    assert broken.rows[0]["messages"] == [{"role": "assistant", "content": "fixed"}]


def test_split_counts_small_sets() -> None:
    assert split_counts(5, 0.1, 0.0) == (4, 1, 0)
    assert split_counts(5, 0.1, 0.1) == (3, 1, 1)
    assert split_counts(2, 0.1, 0.1) == (1, 1, 0)
    assert split_counts(1, 0.1, 0.1) == (1, 0, 0)
    assert split_counts(100, 0.1, 0.2) == (70, 10, 20)
    for bad in ((1.0, 0.0), (0.5, 0.5), (-0.1, 0.0)):
        with pytest.raises(UserError):
            split_counts(10, *bad)


def test_split_is_seeded_and_keeps_duplicates_together() -> None:
    rows = [{"prompt": f"p{i}", "completion": "c"} for i in range(40)] + [{"prompt": "p0", "completion": "c"}] * 3
    ds = Dataset("completion", rows)
    a = split_dataset(ds, 0.2, 0.2, seed=1)
    b = split_dataset(ds, 0.2, 0.2, seed=1)
    c = split_dataset(ds, 0.2, 0.2, seed=2)
    assert {k: v.rows for k, v in a.items()} == {k: v.rows for k, v in b.items()}
    assert a["valid"].rows != c["valid"].rows
    assert sum(len(v) for v in a.values()) == len(rows)
    assert find_leakage(a) == []
    copies = [name for name, part in a.items() for r in part.rows if r["prompt"] == "p0"]
    assert len(set(copies)) == 1 and len(copies) == 4


def test_leakage_detected_across_split_files(tmp_path: Path) -> None:
    row = {"prompt": "a", "completion": "b"}
    splits = {"train": Dataset("completion", [row, {"prompt": "c", "completion": "d"}]),
              "valid": Dataset("completion", [dict(row)]), "test": Dataset("completion", [])}
    leaks = find_leakage(splits)
    assert len(leaks) == 1 and leaks[0].severity == "warning" and "valid row 1 is also train row 1" in leaks[0].message
    written = write_splits(splits, tmp_path / "d")
    assert sorted(written) == ["train", "valid"]
    assert not (tmp_path / "d" / "test.jsonl").exists()


def test_load_training_data_folder_and_file(seed_data: Path, tmp_path: Path) -> None:
    data = load_training_data(seed_data)
    # five pairs: too few to hold any out — every pair is trained and validation runs on the same rows
    assert (len(data["train"]), len(data["valid"]), len(data["test"])) == (5, 5, 0)
    assert data["valid"] == data["train"]
    many = tmp_path / "many.jsonl"
    many.write_text("".join(f'{{"prompt": "q{i}", "completion": "a{i}"}}\n' for i in range(40)), encoding="utf-8")
    data = load_training_data(many)
    assert (len(data["train"]), len(data["valid"]), len(data["test"])) == (36, 4, 0)
    assert load_training_data(many) == data  # fixed seed
    ds = load_dataset(seed_data)
    write_splits(split_dataset(ds, 0.2, 0.2, 0), tmp_path / "set")
    data = load_training_data(tmp_path / "set")
    assert [len(data[k]) for k in ("train", "valid", "test")] == [3, 1, 1]
    assert all(set(r) == {"prompt", "completion"} for r in data["train"])


def test_load_training_data_errors_name_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    write(folder / "train.jsonl", '{"prompt": "a", "completion": "b"}\n{"prompt": "a", "completion": " "}\n')
    write(folder / "valid.jsonl", '{"prompt": "x", "completion": "y"}\n')
    with pytest.raises(DataError) as info:
        load_training_data(folder)
    assert str(info.value).startswith(f"{folder / 'train.jsonl'}:2: ")
    with pytest.raises(DataError, match=r"no train\.jsonl"):
        load_training_data(tmp_path)
    with pytest.raises(DataError, match="not found"):
        load_training_data(tmp_path / "missing")
    single = write(tmp_path / "one.jsonl", '{"prompt": "a", "completion": "b"}\n' * 3 + '{"prompt": "z"}\n')
    with pytest.raises(DataError) as info:
        load_training_data(single)
    assert str(info.value).startswith(f"{single}:4: ")


def test_save_failure_keeps_old_file_and_edits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "pairs.jsonl", '{"prompt": "old", "completion": "old"}\n')
    ds = load_dataset(target)
    ds.set_cell(0, "prompt", "new")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(DataError, match="No space left") as info:
        save_dataset(ds)
    assert "edits are still here" in str(info.value)
    monkeypatch.undo()
    assert json.loads(target.read_text())["prompt"] == "old"
    assert ds.rows[0]["prompt"] == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.jsonl"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_save_permission_denied(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DataError, match="could not be saved"):
            save_dataset(Dataset("text", [{"text": "a"}]), folder / "x.jsonl")
    finally:
        folder.chmod(0o700)


def test_save_into_missing_folder_and_as_a_folder(tmp_path: Path) -> None:
    ds = Dataset("text", [{"text": "a"}])
    assert save_dataset(ds, tmp_path / "new" / "x.jsonl").exists()
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(DataError):
        save_dataset(ds, tmp_path / "dir.jsonl")


def test_stats(seed_data: Path) -> None:
    st = dataset_stats(load_dataset(seed_data))
    assert st.rows == 5 and st.min_chars == 8 and st.max_chars == 21


def test_csv_line_numbers_with_multiline_cells(tmp_path: Path) -> None:
    p = write(tmp_path / "x.csv", 'prompt,completion\n"a\nb\nc",d\ne,\n')
    ds = load_dataset(p)
    assert ds.lines == [2, 5]
    assert validate_dataset(ds)[0].line == 5


def test_excerpt_is_short() -> None:
    assert len(dataset_io.excerpt("x" * 10_000)) <= 61


def test_json_array_file(tmp_path: Path) -> None:
    p = write(tmp_path / "rows.json",
              '[\n  {"prompt": "a", "completion": "b"},\n\n  {"prompt": "c", "completion": ""}\n]\n')
    ds = load_dataset(p)
    assert ds.format == "completion" and ds.lines == [2, 4]
    assert [x.line for x in validate_dataset(ds)] == [4]
    with pytest.raises(DataError, match=r"bad.json:1: item 1 of the JSON array is a number, not an object"):
        load_dataset(write(tmp_path / "bad.json", '[1, 2]'))
    # a JSON array opens whatever the file is called (people name them .jsonl too); the rows are the same
    assert load_dataset(write(tmp_path / "rows.jsonl", p.read_text())).rows == ds.rows
