"""Dataset downloads with the real modelscope / huggingface_hub clients against the local fake hub
(tests/hub_server.py), the splits of the downloaded folder, mlx-lm's split spec syntax, and
``mlxstudio-cli data download`` end to end.

The repositories are written here: one laid out as Hugging Face stores datasets (``data/train-0000x-of-00002.parquet``
shards, a test Parquet file, a validation JSONL file, README), one as ModelScope datasets often are (``train.jsonl``,
``validation.csv``, ``test/part-00000.jsonl`` at the top level, a loading script, ``dataset_infos.json``); both with
files a download must leave alone.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401

from mlxstudio import cli
from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.data import DATA_SUFFIXES, load_dataset
from mlxstudio.core.data.hub_layout import (
    DataFile,
    SplitSlice,
    dataset_splits,
    list_data_files,
    load_split,
    parse_split_spec,
)
from mlxstudio.core.hub import common as hc
from mlxstudio.core.hub import datasets as hds
from mlxstudio.core.hub.download import staging_info

HUBS = ["modelscope", "huggingface"]
HF_REPO = "mlxstudio-test/tiny-pairs"
MS_REPO = "mlxstudio-test/tiny-ms"
BIG_REPO = "mlxstudio-test/big-pairs"
EMPTY_REPO = "mlxstudio-test/script-only"
JUNK = ("images/cat.png", "tiny_pairs.py", "data/archive.zip", ".gitattributes", "dataset_infos.json")


def pairs(start: int, stop: int, tag: str = "") -> list[dict[str, str]]:
    return [{"prompt": f"{tag}question {i}", "completion": f"answer {i}"} for i in range(start, stop)]


def write_parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def make_hf_layout(dest: Path) -> Path:
    """As Hugging Face keeps a dataset: shards under data/, a dataset card, and things a download must skip."""
    write_parquet(dest / "data" / "train-00000-of-00002.parquet", pairs(0, 60))
    write_parquet(dest / "data" / "train-00001-of-00002.parquet", pairs(60, 120))
    write_parquet(dest / "data" / "test-00000-of-00001.parquet", pairs(0, 20, "test "))
    write_jsonl(dest / "data" / "validation-00000-of-00001.jsonl", pairs(0, 10, "valid "))
    (dest / "README.md").write_text("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
                                    "    path: data/train-*\n---\n# tiny pairs\n", encoding="utf-8")
    (dest / "images").mkdir()
    (dest / "images" / "cat.png").write_bytes(b"\x89PNG" + b"\0" * 4000)
    (dest / "tiny_pairs.py").write_text("import datasets  # a loading script: never fetched\n")
    (dest / "data" / "archive.zip").write_bytes(b"PK" + b"\0" * 3000)
    (dest / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    (dest / "dataset_infos.json").write_text(json.dumps({"default": {"splits": {}}}))
    return dest


def make_ms_layout(dest: Path) -> Path:
    """As many ModelScope datasets are: split files at the top level, a split in a folder, a loading script."""
    write_jsonl(dest / "train.jsonl", pairs(0, 30, "训练 "))
    dest.joinpath("validation.csv").write_text("prompt,completion\n" + "".join(f"v{i},w{i}\n" for i in range(8)),
                                               encoding="utf-8")
    write_jsonl(dest / "test" / "part-00000.jsonl", [{"text": f"test text {i}"} for i in range(6)])
    (dest / "README.md").write_text("# 小数据集\n", encoding="utf-8")
    (dest / "tiny_ms.py").write_text("# loading script\n")
    (dest / "dataset_infos.json").write_text("{}")
    return dest


@pytest.fixture
def dataset_hub(fake_hub: FakeHub, tmp_path_factory: pytest.TempPathFactory) -> FakeHub:  # noqa: F811
    """The fake hub (both hubs' APIs) serving the dataset repositories of these tests next to its models."""
    root = tmp_path_factory.mktemp("fakehub-datasets")
    fake_hub.add_dataset(HF_REPO, make_hf_layout(root / "hf"))
    fake_hub.add_dataset(MS_REPO, make_ms_layout(root / "ms"))
    big = root / "big"
    write_jsonl(big / "train.jsonl", pairs(0, 8000))  # ~300 KB: long enough to cancel in the middle of it
    (big / "README.md").write_text("# big\n")  # finished before the cancel: kept by both clients
    fake_hub.add_dataset(BIG_REPO, big)
    script_only = root / "script"
    script_only.mkdir()
    (script_only / "script_only.py").write_text("# downloads its data from elsewhere\n")
    (script_only / "data.tar.gz").write_bytes(b"\0" * 100)
    (script_only / "README.md").write_text("# nothing to read\n")
    fake_hub.add_dataset(EMPTY_REPO, script_only)
    return fake_hub


class Recorder:
    """A sink that keeps the events and sets a cancel flag once a file has ``cancel_at`` bytes."""

    def __init__(self, cancel_at: tuple[str, int] | None = None) -> None:
        self.events: list[ev.Event] = []
        self.cancel = threading.Event()
        self.cancel_at = cancel_at
        self.cancelled_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, e: ev.Event) -> None:
        with self._lock:
            self.events.append(e)
        if self.cancel_at and isinstance(e, ev.DownloadProgress) and not self.cancel.is_set():
            name, n = self.cancel_at
            if e.file == name and e.file_done >= n:
                self.cancelled_at = time.monotonic()
                self.cancel.set()

    def progress(self) -> list[ev.DownloadProgress]:
        return [e for e in self.events if isinstance(e, ev.DownloadProgress)]


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


HF_FILES = {"README.md", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
            "data/test-00000-of-00001.parquet", "data/validation-00000-of-00001.jsonl"}
MS_FILES = {"README.md", "train.jsonl", "validation.csv", "test/part-00000.jsonl"}


# -- downloads ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("hub", HUBS)
@pytest.mark.parametrize(("repo", "expected"), [(HF_REPO, HF_FILES), (MS_REPO, MS_FILES)], ids=["hf-layout",
                                                                                                "ms-layout"])
def test_download_fetches_only_the_data_files(hub: str, repo: str, expected: set[str],
                                              dataset_hub: FakeHub) -> None:
    rec = Recorder()
    folder = hds.download_dataset(hub, repo, endpoint=dataset_hub.url, sink=rec)
    assert folder == paths.datasets_dir() / repo.split("/")[1]
    assert _files(folder) == expected | {hds.SOURCE_FILE}  # no script, archive, image, metadata, client bookkeeping
    served = dataset_hub.datasets[repo]
    for name in expected:
        assert (folder / name).read_bytes() == served.data(name)
    assert not any(dataset_hub.file_requests(n) for n in JUNK), "files that are not data are never fetched"
    source = hds.dataset_source(folder)
    assert source["hub"] == hub and source["dataset_id"] == repo and source["source"] == f"{hub}: {repo}"
    assert set(source["files"]) == expected and source["endpoint"].startswith("http://127.0.0.1:")
    prog = rec.progress()
    total = sum(f.size for f in served.files.values() if f.path in expected)
    assert prog and prog[-1].done == prog[-1].total == total
    assert all(b.done >= a.done for a, b in itertools.pairwise(prog))
    finished = rec.events[-1]
    assert isinstance(finished, ev.Finished) and finished.result["path"] == str(folder)
    assert set(finished.result["files"]) == expected - {"README.md"}
    assert not hc.staging_dir(hub, repo, "dataset").exists()
    assert paths.models_dir().exists() and not any(paths.models_dir().iterdir()), "datasets never go to the models"


def test_the_splits_of_a_downloaded_folder(dataset_hub: FakeHub) -> None:
    hf = hds.download_dataset("huggingface", HF_REPO, endpoint=dataset_hub.url)
    splits = dataset_splits(hf)
    assert {k: [f.relpath for f in v] for k, v in splits.items()} == {
        "train": ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
        "validation": ["data/validation-00000-of-00001.jsonl"],
        "test": ["data/test-00000-of-00001.parquet"]}
    assert all(isinstance(f, DataFile) and f.path == hf / f.relpath for f in list_data_files(hf))
    assert load_split(hf, "train").rows == pairs(0, 120)  # the two shards, in order
    assert load_split(hf, "test[:3]").rows == pairs(0, 3, "test ")
    assert load_split(hf, "valid[-2:]").rows == pairs(8, 10, "valid ")  # mlx-lm's "valid" is the validation split

    ms = hds.download_dataset("modelscope", MS_REPO, endpoint=dataset_hub.url)
    assert {k: [f.relpath for f in v] for k, v in dataset_splits(ms).items()} == {
        "train": ["train.jsonl"], "validation": ["validation.csv"], "test": ["test/part-00000.jsonl"]}
    ds = load_split(ms, "train[:2]")
    assert ds.format == "completion" and ds.rows == pairs(0, 2, "训练 ")
    assert load_split(ms, "validation").rows[0] == {"prompt": "v0", "completion": "w0"}
    test = load_split(ms, "test")
    assert test.format == "text" and len(test) == 6


@pytest.mark.parametrize("hub", HUBS)
def test_cancel_mid_file_then_resume(hub: str, dataset_hub: FakeHub) -> None:
    dataset_hub.faults.slow_bps = 120_000
    rec = Recorder(cancel_at=("train.jsonl", 60_000))
    with pytest.raises(errors.Cancelled, match="resume"):
        hds.download_dataset(hub, BIG_REPO, endpoint=dataset_hub.url, sink=rec, cancel=rec.cancel)
    assert rec.cancelled_at is not None and time.monotonic() - rec.cancelled_at < 1.5
    assert not (paths.datasets_dir() / "big-pairs").exists(), "never half a dataset"
    assert staging_info(hub, BIG_REPO, "dataset") > 0
    size = dataset_hub.datasets[BIG_REPO].files["train.jsonl"].size
    if hub == "modelscope":  # the client keeps the partial file and resumes it with Range
        partial = hc.staging_dir(hub, BIG_REPO, "dataset") / "files" / "train.jsonl.incomplete"
        assert 60_000 <= partial.stat().st_size < size

    dataset_hub.faults.slow_bps = None
    before = len(dataset_hub.requests)
    folder = hds.download_dataset(hub, BIG_REPO, endpoint=dataset_hub.url)
    assert (folder / "train.jsonl").stat().st_size == size
    assert len(load_dataset(folder / "train.jsonl")) == 8000
    if hub == "modelscope":
        ranges = [r.headers.get("range", "") for r in dataset_hub.requests[before:] if r.method == "GET"
                  and "train.jsonl" in r.path]
        assert any(r.startswith("bytes=") and int(r[6:].split("-")[0]) >= 60_000 for r in ranges), ranges


@pytest.mark.parametrize("hub", HUBS)
def test_missing_dataset_is_a_clear_error(hub: str, dataset_hub: FakeHub) -> None:
    for missing in ("nobody/nothing", TEST_REPO):  # (a model of that id is not a dataset)
        with pytest.raises(hc.DatasetNotFound, match=f"{missing} was not found on") as info:
            hds.download_dataset(hub, missing, endpoint=dataset_hub.url)
        assert "check the dataset id" in str(info.value) and "\n" not in str(info.value)
        assert isinstance(info.value, hc.RepoNotFound) and not isinstance(info.value, hc.ModelNotFound)
    assert not any(paths.datasets_dir().iterdir())


@pytest.mark.parametrize("hub", HUBS)
def test_a_repository_without_data_files(hub: str, dataset_hub: FakeHub) -> None:
    with pytest.raises(hc.UnsupportedDataset, match="has no data files") as info:
        hds.download_dataset(hub, EMPTY_REPO, endpoint=dataset_hub.url)
    assert ".gz" in str(info.value) and ".py" in str(info.value)
    assert not dataset_hub.file_requests("script_only.py") and not dataset_hub.file_requests("README.md")


def test_downloaded_before_is_reused_refresh_replaces(dataset_hub: FakeHub) -> None:
    folder = hds.download_dataset("huggingface", HF_REPO, endpoint=dataset_hub.url)
    (folder / "data" / "validation-00000-of-00001.jsonl").write_text('{"prompt": "edited", "completion": "x"}\n')
    before = len(dataset_hub.requests)
    rec = Recorder()
    assert hds.download_dataset("huggingface", HF_REPO, endpoint=dataset_hub.url, sink=rec) == folder
    assert len(dataset_hub.requests) == before, "a finished download is reused without asking the hub"
    assert isinstance(rec.events[-1], ev.Finished)
    assert load_split(folder, "validation").rows[0]["prompt"] == "edited"

    assert hds.download_dataset("huggingface", HF_REPO, endpoint=dataset_hub.url, refresh=True) == folder
    assert load_split(folder, "validation").rows == pairs(0, 10, "valid ")
    assert not list(folder.parent.glob(".*")), "no leftovers next to the folder"

    with pytest.raises(hc.DatasetExists, match="tiny-pairs from Hugging Face"):  # same name, other hub
        hds.download_dataset("modelscope", HF_REPO, endpoint=dataset_hub.url)
    (paths.datasets_dir() / "mine").mkdir()
    with pytest.raises(hc.DatasetExists, match="other files"):
        hds.download_dataset("modelscope", MS_REPO, name="mine", endpoint=dataset_hub.url)
    assert hds.download_dataset("modelscope", HF_REPO, name="tiny-pairs-ms", endpoint=dataset_hub.url).is_dir()


def test_dataset_ids_and_suffixes() -> None:
    assert hc.check_repo_id("https://huggingface.co/datasets/tatsu-lab/alpaca/viewer", "dataset") == "tatsu-lab/alpaca"
    assert hc.check_repo_id("https://modelscope.cn/datasets/AI-ModelScope/alpaca-gpt4-data-zh/files",
                            "dataset") == "AI-ModelScope/alpaca-gpt4-data-zh"
    with pytest.raises(errors.UserError, match=r"not a dataset id .* tatsu-lab/alpaca"):
        hc.check_repo_id("alpaca", "dataset")
    assert hc.staging_dir("huggingface", "o/x", "dataset") != hc.staging_dir("huggingface", "o/x")
    assert set(hds.DATA_SUFFIXES) == set(DATA_SUFFIXES), "the hub fetches what the data layer reads"


# -- splits and slices (no hub) -------------------------------------------------------------------------------------
def test_split_spec_syntax() -> None:
    assert parse_split_spec("train") == [SplitSlice("train")]
    assert parse_split_spec("train[:1000]") == [SplitSlice("train", None, 1000)]
    assert parse_split_spec(" train[10:20] ") == [SplitSlice("train", 10, 20)]
    assert parse_split_spec("train[-10%:]+test[ 5 : ]") == [SplitSlice("train", "-10%", None),
                                                             SplitSlice("test", 5, None)]
    assert parse_split_spec("main/train[:80%]") == [SplitSlice("main/train", None, "80%")]
    assert str(SplitSlice("train", 10, 20)) == "train[10:20]" and str(SplitSlice("test")) == "test"
    for bad in ("", "train[", "train[1]", "train[a:b]", "train[:10]x", "+test", "train[:150%]", "[1:2]"):
        with pytest.raises(errors.UserError, match=r"split spec|percentage"):
            parse_split_spec(bad)


def test_slices_select_rows(tmp_path: Path) -> None:
    make_hf_layout(tmp_path)
    rows = pairs(0, 120)
    for spec, want in [("train", rows), ("train[:1000]", rows), ("train[:7]", rows[:7]), ("train[10:20]", rows[10:20]),
                       ("train[55:65]", rows[55:65]), ("train[-5:]", rows[-5:]), ("train[100:-10]", rows[100:-10]),
                       ("train[:10%]", rows[:12]), ("train[-10%:]", rows[-12:]), ("training[:1]", rows[:1]),
                       ("train[:2]+test[:1]", rows[:2] + pairs(0, 1, "test ")),
                       ("dev[:1]", pairs(0, 1, "valid ")), ("eval[-1:]", pairs(19, 20, "test "))]:
        assert load_split(tmp_path, spec).rows == want, spec
    with pytest.raises(errors.UserError, match="has no split 'extra' — it has train, validation, test"):
        load_split(tmp_path, "extra")
    with pytest.raises(errors.UserError, match="selects no rows"):
        load_split(tmp_path, "train[200:]")


def test_only_as_many_files_as_needed_are_read(tmp_path: Path) -> None:
    make_hf_layout(tmp_path)
    (tmp_path / "data" / "train-00001-of-00002.parquet").write_bytes(b"not parquet at all")
    assert len(load_split(tmp_path, "train[:60]")) == 60  # the second shard is never opened
    with pytest.raises(errors.DataError, match=r"train-00001-of-00002\.parquet"):
        load_split(tmp_path, "train[:61]")


@pytest.mark.parametrize(("layout", "want"), [
    ({"alpaca_data_cleaned.json": 3}, {"train": ["alpaca_data_cleaned.json"]}),
    ({"train.jsonl": 3, "sample-00000-of-00002.jsonl": 2, "sample-00001-of-00002.jsonl": 2},
     {"train": ["train.jsonl"], "sample": ["sample-00000-of-00002.jsonl", "sample-00001-of-00002.jsonl"]}),
    ({"data/my_dev_set.jsonl": 2, "data/train2017.jsonl": 3, "test/a.jsonl": 1, "test/b.jsonl": 1,
      ".hidden/train.jsonl": 9, "data/state.json": 0},
     {"train": ["data/train2017.jsonl"], "validation": ["data/my_dev_set.jsonl"], "test": ["test/a.jsonl",
                                                                                          "test/b.jsonl"]}),
    ({"main/train-00000-of-00001.parquet": 4, "main/test-00000-of-00001.parquet": 2,
      "socratic/train-00000-of-00001.parquet": 3},
     {"main/train": ["main/train-00000-of-00001.parquet"], "main/test": ["main/test-00000-of-00001.parquet"],
      "socratic/train": ["socratic/train-00000-of-00001.parquet"]}),
], ids=["one-file", "own-split", "folders-and-words", "subsets"])
def test_split_of_each_file(layout: dict[str, int], want: dict[str, list[str]], tmp_path: Path) -> None:
    for rel, n in layout.items():
        if rel.endswith(".parquet"):
            write_parquet(tmp_path / rel, pairs(0, n))
        else:
            write_jsonl(tmp_path / rel, pairs(0, n))
    assert {k: [f.relpath for f in v] for k, v in dataset_splits(tmp_path).items()} == want
    if "main/train" in want:
        with pytest.raises(errors.UserError, match="in several subsets — name one: main/train, socratic/train"):
            load_split(tmp_path, "train")
        assert len(load_split(tmp_path, "socratic/train")) == 3
        assert len(load_split(tmp_path, "test")) == 2  # only one subset has it


def test_no_data_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# empty\n")
    with pytest.raises(errors.UserError, match="has no data files"):
        list_data_files(tmp_path)
    with pytest.raises(errors.UserError, match="not a folder"):
        list_data_files(tmp_path / "missing")


# -- the command line -----------------------------------------------------------------------------------------------
def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_cli_data_download(dataset_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = cli.main(["data", "download", HF_REPO, "--hub", "hf", "--endpoint", dataset_hub.url, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    events = _json_lines(out)
    assert any(e["event"] == "DownloadProgress" for e in events)
    result = events[-1]
    folder = paths.datasets_dir() / "tiny-pairs"
    assert result["event"] == "Result" and result["data"]["path"] == str(folder)
    assert result["data"]["splits"]["train"] == ["data/train-00000-of-00002.parquet",
                                                 "data/train-00001-of-00002.parquet"]
    assert list(result["data"]["splits"]) == ["train", "validation", "test"]

    target = tmp_path / "rows.jsonl"  # the same dataset again: reused, rows selected and written as our JSONL
    code = cli.main(["data", "download", HF_REPO, "--hub", "huggingface", "--endpoint", dataset_hub.url,
                     "--split", "train[55:65]", "--out", str(target)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines()[0] == str(folder)
    assert "train: data/train-00000-of-00002.parquet" in captured.out
    assert f"train[55:65]: 10 rows (completion), written to {target}" in captured.out
    assert [json.loads(line) for line in target.read_text().splitlines()] == pairs(55, 65)
    assert cli.main(["data", "validate", str(target), "-q"]) == 0
    capsys.readouterr()

    target = tmp_path / "ms.jsonl"  # ModelScope (the default hub), --out alone: the train split
    code = cli.main(["data", "download", MS_REPO, "--endpoint", dataset_hub.url, "--out", str(target), "-q"])
    assert code == 0 and len(load_dataset(target)) == 30
    assert "train: 30 rows" in capsys.readouterr().out

    code = cli.main(["data", "download", MS_REPO, "--endpoint", dataset_hub.url, "--split", "test", "--json"])
    data = _json_lines(capsys.readouterr().out)[-1]["data"]
    assert code == 0 and data["rows"] == 6 and data["format"] == "text" and data["out"] is None


def test_cli_data_download_errors(dataset_hub: FakeHub, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code = cli.main(["data", "download", "nobody/nothing", "--hub", "hf", "--endpoint", dataset_hub.url])
    err = capsys.readouterr().err
    assert code == 2 and "nobody/nothing was not found on Hugging Face" in err and "Traceback" not in err

    dataset_hub.requests.clear()
    code = cli.main(["data", "download", MS_REPO, "--endpoint", dataset_hub.url, "--split", "dev[:3]x",
                     "--out", str(tmp_path / "x.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and "is not a split spec" in err and not (tmp_path / "x.jsonl").exists()
    assert not dataset_hub.requests, "a bad spec is said before anything is downloaded"

    code = cli.main(["data", "download", MS_REPO, "--endpoint", dataset_hub.url, "--split", "extra"])
    err = capsys.readouterr().err
    assert code == 2 and "has no split 'extra' — it has train, validation, test" in err

    code = cli.main(["data", "download", EMPTY_REPO, "--endpoint", dataset_hub.url])
    assert code == 2 and "has no data files" in capsys.readouterr().err

    code = cli.main(["data", "download", MS_REPO, "--endpoint", dataset_hub.url, "--token-env", "NOT_SET_ANYWHERE_Y"])
    assert code == 2 and "NOT_SET_ANYWHERE_Y is not set" in capsys.readouterr().err

    dataset_hub.faults.require_token = "hf_TheRightToken"
    wrong = "hf_WrongDatasetToken77"
    monkeypatch.setenv("MY_DATASET_TOKEN", wrong)
    for hub in HUBS:
        code = cli.main(["data", "download", HF_REPO, "--hub", hub, "--endpoint", dataset_hub.url,
                         "--token-env", "MY_DATASET_TOKEN"])
        err = capsys.readouterr().err
        assert code == 2 and wrong not in err and "Traceback" not in err
        said = "refused access" if hub == "modelscope" else f"accept its license on huggingface.co/datasets/{HF_REPO}"
        assert said in err


def test_train_config_with_an_hf_dataset_block_downloads_and_trains(dataset_hub: FakeHub, tmp_path: Path,
                                                                    tiny_model: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """mlx-lm's hf_dataset block (path, train_split/valid_split slices, *_feature keys) means what it means in mlx-lm:
    the splits are downloaded with the hub client, selected, and trained; the rows are kept in a split folder."""
    qa = tmp_path / "qa-layout"
    write_parquet(qa / "data" / "train-00000-of-00001.parquet",
                  [{"question": f"问题 {i}", "answer": f"答案 {i}"} for i in range(12)])
    dataset_hub.add_dataset("mlxstudio-test/qa", qa)
    monkeypatch.setenv("HF_ENDPOINT", dataset_hub.url)  # how mirror users point mlx-lm and the app elsewhere
    cfg = tmp_path / "lora.yaml"
    cfg.write_text("hf_dataset:\n  path: mlxstudio-test/qa\n  train_split: 'train[:8]'\n  valid_split: 'train[-2:]'\n"
                   "  prompt_feature: question\n  completion_feature: answer\n"
                   "iters: 2\nbatch_size: 2\nnum_layers: 2\nsteps_per_eval: 2\nval_batches: 1\n", encoding="utf-8")
    code = cli.main(["train", "--model", str(tiny_model), "--config", str(cfg), "--adapter-path",
                     str(tmp_path / "run")])
    assert code == 0
    folder = paths.datasets_dir() / "hf_dataset-qa"
    train = load_dataset(folder / "train.jsonl")
    assert train.rows[0] == {"prompt": "问题 0", "completion": "答案 0"} and len(train) == 8
    assert [r["prompt"] for r in load_dataset(folder / "valid.jsonl").rows] == ["问题 10", "问题 11"]
    assert not (folder / "test.jsonl").exists()
    assert (tmp_path / "run" / "adapters.safetensors").is_file()
