"""The Download Dataset dialog against the local fake hub (tests/hub_server.py, serving the dataset repositories of
tests/test_hub_datasets.py and one in Chinese, Alpaca-shaped): download, the splits listed, a split spec opened as
converted rows; errors in one sentence with nothing lost; cancel, resume, Esc and closing while a download runs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from gui_helpers import shot
from hub_server import FakeHub, fake_hub  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from test_hub_datasets import (  # noqa: F401
    BIG_REPO,
    EMPTY_REPO,
    MS_REPO,
    dataset_hub,
    make_hf_layout,
    pairs,
    write_jsonl,
    write_parquet,
)

from mlxstudio.core import paths
from mlxstudio.core.data import FieldMap
from mlxstudio.gui import jobs
from mlxstudio.gui.data import dataset_download_dialog as ddd
from mlxstudio.gui.data.dataset_download_dialog import DatasetDownloadDialog, cheap_row_count, summarize_splits

pytestmark = pytest.mark.usefixtures("no_dangling_jobs")

WAIT = 60_000  # the machine running the suite may be slow
ZH_REPO = "mlxstudio-test/alpaca-zh"
TRAIN_FILE = "data/训练集-train-00000-of-00001.parquet"


def alpaca_zh(start: int, stop: int) -> list[dict[str, str]]:
    return [{"instruction": f"把第{i}句话翻译成英文", "input": "今天天气很好，我们去公园散步吧。",
             "output": f"The weather is nice today, let's take a walk in the park ({i})."} for i in range(start, stop)]


@pytest.fixture
def zh_hub(dataset_hub: FakeHub, tmp_path_factory: pytest.TempPathFactory) -> FakeHub:  # noqa: F811
    """The fake hub with one more dataset: Chinese Alpaca rows in files with Chinese names."""
    root = tmp_path_factory.mktemp("zh-dataset")
    write_parquet(root / TRAIN_FILE, alpaca_zh(0, 300))
    write_jsonl(root / "data" / "验证集-validation.jsonl", alpaca_zh(300, 305))
    write_jsonl(root / "data" / "测试-test.jsonl", [{"text": f"中文文本第{i}行"} for i in range(3)])
    write_jsonl(root / "data" / "qa-00000-of-00001.jsonl", [{"问题": f"问题{i}", "答案": f"答案{i}"} for i in range(2)])
    (root / "README.md").write_text("# 中文 Alpaca\n", encoding="utf-8")
    dataset_hub.add_dataset(ZH_REPO, root)
    return dataset_hub


@pytest.fixture
def dialog(qtbot, zh_hub: FakeHub) -> DatasetDownloadDialog:
    d = DatasetDownloadDialog()
    qtbot.addWidget(d)  # closed at the end: a running job is cancelled and waited for
    d.show()
    qtbot.waitExposed(d)
    return d


def _point_at(d: DatasetDownloadDialog, hub: str, repo: str, url: str) -> None:
    d.hub.setCurrentIndex(d.hub.findData(hub))
    d.endpoint.setText(url)
    d.dataset_id.setText(repo)


def _downloading_big(qtbot, d: DatasetDownloadDialog, hub: str, fake: FakeHub, bps: int) -> None:
    """Start downloading the big dataset slowly and wait until bytes arrive."""
    _point_at(d, hub, BIG_REPO, fake.url)
    fake.faults.slow_bps = bps
    d.start_download()
    qtbot.waitUntil(lambda: d.bar.maximum() == 1000 and d.bar.value() > 50, timeout=WAIT)


def _listed(d: DatasetDownloadDialog) -> bool:
    return d.folder is not None and not d.is_busy()


def _rows(d: DatasetDownloadDialog) -> list[list[str]]:
    return [[d.tree.topLevelItem(i).text(c) for c in range(4)] for i in range(d.tree.topLevelItemCount())]


def _assert_laid_out(d: DatasetDownloadDialog) -> None:
    """The visible rows of the dialog are stacked without overlapping, and wrapped labels get their height."""
    QApplication.processEvents()
    lay = d.layout()
    shown = [w for w in (lay.itemAt(i).widget() for i in range(lay.count())) if w is not None and w.isVisible()]
    for upper, lower in itertools.pairwise(shown):
        assert upper.geometry().bottom() < lower.geometry().top(), (upper.objectName(), lower.objectName())
    for label in (d.message.label, d.preview):
        if label.isVisible():
            assert label.height() >= label.heightForWidth(label.width()), label.objectName()
    assert shown[-1].geometry().bottom() <= d.height()


def test_download_pick_a_split_with_a_slice_and_open(qtbot, dialog: DatasetDownloadDialog, zh_hub: FakeHub) -> None:
    d = dialog
    assert d.current_hub() == "modelscope" and "AI-ModelScope/alpaca-gpt4-data-zh" in d.dataset_id.placeholderText()
    assert d.primary.text() == "Download" and d.primary.isDefault() and not d.splits_box.isVisible()
    _assert_laid_out(d)
    shot(d, "dataset-download-idle")

    _point_at(d, "huggingface", ZH_REPO, zh_hub.url)
    assert "tatsu-lab/alpaca" in d.dataset_id.placeholderText()
    zh_hub.faults.slow_bps = 6_000
    d.dataset_id.setFocus()
    qtbot.keyClick(d.dataset_id, Qt.Key.Key_Return)  # Enter starts the download
    assert d.is_busy() and d.progress_box.isVisible() and d.cancel_button.isVisible()
    assert not d.primary.isEnabled() and not d.dataset_id.isEnabled()
    qtbot.waitUntil(lambda: d.bar.maximum() == 1000 and d.bar.value() > 100, timeout=WAIT)
    assert " of " in d.status.text()
    _assert_laid_out(d)
    shot(d, "dataset-download-downloading")
    qtbot.waitUntil(lambda: _listed(d), timeout=WAIT)

    folder = paths.datasets_dir() / "alpaca-zh"
    assert d.folder == folder and (folder / TRAIN_FILE).is_file()
    qtbot.waitUntil(lambda: d.job is None, timeout=5_000)  # the finished job is let go (and deleted)
    rows = _rows(d)
    assert [r[0] for r in rows] == ["train", "validation", "test", "qa"]
    assert rows[0][1] == "300" and rows[0][3] == TRAIN_FILE
    assert rows[1][1] == "5" and rows[1][3] == "data/验证集-validation.jsonl"
    assert d.primary.text() == "Open" and d.spec.text() == "train" and d.spec.hasFocus()
    assert "Alpaca" in d.preview.text() and "把第0句话翻译成英文" in d.preview.text()
    assert not d.progress_box.isVisible() and not d.message.isVisible()
    _assert_laid_out(d)
    shot(d, "dataset-download-splits")
    d.advanced.expand(animate=False)
    qtbot.waitUntil(lambda: d.height() >= d.layout().totalHeightForWidth(d.width()), timeout=5_000)
    d.resize(520, d.height())  # narrow: the rows wrap, nothing is cut
    _assert_laid_out(d)
    shot(d, "dataset-download-splits-narrow-advanced")
    d.advanced.collapse(animate=False)

    d.spec.setText("train[:2]")  # choosing another split keeps the slice typed
    d.tree.setCurrentItem(d.tree.topLevelItem(2))
    assert d.spec.text() == "test[:2]" and "中文文本第0行" in d.preview.text()
    d.tree.setCurrentItem(d.tree.topLevelItem(0))
    assert d.spec.text() == "train[:2]"

    d.spec.setText("train[2:5]")
    with qtbot.waitSignal(d.dataset_opened, timeout=WAIT) as opened:
        qtbot.keyClick(d.spec, Qt.Key.Key_Return)  # Enter opens
    ds = opened.args[0]
    assert ds is d.result_dataset and d.result_spec == "train[2:5]" and d.result_folder == folder
    assert d.result() == QDialog.DialogCode.Accepted and not d.isVisible()
    assert ds.format == "completion" and len(ds) == 3
    assert ds.conversion is not None and ds.conversion.shape == "alpaca"
    assert "把第2句话翻译成英文" in ds.rows[0]["prompt"] and "今天天气很好" in ds.rows[0]["prompt"]
    assert ds.rows[2]["completion"] == alpaca_zh(4, 5)[0]["output"]
    assert d.opened_summary() == "train[2:5] of alpaca-zh: 3 prompt/completion pairs"


def test_modelscope_layout_and_reuse(qtbot, dialog: DatasetDownloadDialog, zh_hub: FakeHub) -> None:
    d = dialog
    _point_at(d, "modelscope", MS_REPO, zh_hub.url)
    qtbot.mouseClick(d.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _listed(d), timeout=WAIT)
    assert _rows(d) == [["train", "30", d.tree.topLevelItem(0).text(2), "train.jsonl"],
                        ["validation", "8", d.tree.topLevelItem(1).text(2), "validation.csv"],
                        ["test", "6", d.tree.topLevelItem(2).text(2), "test/part-00000.jsonl"]]
    assert "训练 question 0" in d.preview.text()
    d.spec.setText("train[:2]")
    with qtbot.waitSignal(d.dataset_opened, timeout=WAIT) as opened:
        qtbot.mouseClick(d.primary, Qt.MouseButton.LeftButton)
    assert opened.args[0].rows == pairs(0, 2, "训练 ")

    again = DatasetDownloadDialog()  # downloaded before: listed at once, from the copy on disk
    qtbot.addWidget(again)
    assert again.dataset_id.text() == MS_REPO  # the last id is remembered
    _point_at(again, "modelscope", MS_REPO, zh_hub.url)
    requests = len(zh_hub.requests)
    again.start_download()
    qtbot.waitUntil(lambda: _listed(again), timeout=WAIT)
    assert len(zh_hub.requests) == requests and "was downloaded before" in again.message.text()


def test_errors_are_one_sentence_and_nothing_is_lost(qtbot, dialog: DatasetDownloadDialog, zh_hub: FakeHub) -> None:
    d = dialog
    _point_at(d, "huggingface", "alpaca", zh_hub.url)
    d.start_download()
    assert not d.is_busy() and "is not a dataset id" in d.message.text() and d.dataset_id.hasFocus()

    d.dataset_id.setText("nobody/nothing")
    d.start_download()
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=WAIT)
    text = d.message.text()
    assert "nobody/nothing was not found on Hugging Face" in text and "\n" not in text and "Traceback" not in text
    assert d.message.action_button.text() == "Try Again" and d.dataset_id.text() == "nobody/nothing"
    assert d.primary.text() == "Download" and d.primary.isEnabled() and d.isVisible()
    _assert_laid_out(d)
    shot(d, "dataset-download-error")

    d.dataset_id.setText(EMPTY_REPO)
    d.start_download()
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=WAIT)
    assert "has no data files" in d.message.text() and d.folder is None

    d.hub.setCurrentIndex(d.hub.findData("modelscope"))
    d.endpoint.setText(zh_hub.url)
    d.dataset_id.setText(ZH_REPO)
    d.start_download()
    qtbot.waitUntil(lambda: _listed(d), timeout=WAIT)
    d.tree.setCurrentItem(d.tree.topLevelItem(3))  # fields the reader does not know: said before Open
    assert "cannot be read" in d.preview.text()
    assert d.tree.topLevelItem(3).toolTip(0) == d.splits[3].problem
    assert d.splits[3].problem.startswith("data/qa-00000-of-00001.jsonl: no row has the fields of a known format")
    assert d.tree.topLevelItem(3).text(1) == "2"  # counted all the same
    shot(d, "dataset-download-unknown-fields")
    d.spec.setText("train[1]")  # a typo in the spec: said at once, no job
    d.open_split()
    assert not d.is_busy() and "is not a split spec" in d.message.text() and d.spec.hasFocus()
    d.spec.setText("extra")
    d.open_split()
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=WAIT)
    assert "has no split 'extra' — it has train, validation, test" in d.message.text()
    assert d.isVisible() and d.result_dataset is None and d.spec.text() == "extra" and d.primary.text() == "Open"
    d.spec.setText("qa")
    d.open_split()
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=WAIT)
    assert "Which field is what?" in d.message.text() and d.result_dataset is None
    with qtbot.waitSignal(d.dataset_opened, timeout=WAIT) as opened:
        d.open_split(FieldMap({"prompt": "问题", "completion": "答案"}))  # what "Which field is what?" gives
    assert opened.args[0].rows == [{"prompt": f"问题{i}", "completion": f"答案{i}"} for i in range(2)]

    d.dataset_id.setText("nobody/else")  # another id: the listed splits were the old one's
    assert not d.splits_box.isVisible() and d.primary.text() == "Download" and d.folder is None


def test_cancel_keeps_what_arrived_and_resumes(qtbot, dialog: DatasetDownloadDialog, zh_hub: FakeHub) -> None:
    d = dialog
    _downloading_big(qtbot, d, "modelscope", zh_hub, 100_000)
    qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=10_000)
    assert "start it again to resume" in d.message.text()
    assert d.primary.text() == "Resume download" and d.folder is None
    assert not (paths.datasets_dir() / "big-pairs").exists()
    shot(d, "dataset-download-cancelled")

    zh_hub.faults.slow_bps = None
    qtbot.mouseClick(d.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _listed(d), timeout=WAIT)
    assert _rows(d)[0][:2] == ["train", "8,000"]
    ranges = [r.headers.get("range", "") for r in zh_hub.file_requests("train.jsonl")]
    assert any(r.startswith("bytes=") and r != "bytes=0-" for r in ranges), "the second start resumed mid-file"


def test_escape_cancels_then_closes_and_closing_waits(qtbot, dialog: DatasetDownloadDialog, zh_hub: FakeHub) -> None:
    d = dialog
    _downloading_big(qtbot, d, "huggingface", zh_hub, 50_000)
    qtbot.keyClick(d, Qt.Key.Key_Escape)  # Esc while downloading: cancel, the dialog stays
    assert d.isVisible()
    qtbot.waitUntil(lambda: not d.is_busy(), timeout=10_000)
    assert "cancelled" in d.message.text()
    qtbot.keyClick(d, Qt.Key.Key_Escape)  # Esc when nothing runs: close
    assert not d.isVisible() and d.result() == QDialog.DialogCode.Rejected

    d.show()
    _downloading_big(qtbot, d, "huggingface", zh_hub, 50_000)
    d.close()  # closing while a download runs: cancelled and waited for, never left running behind the dialog
    assert not d.isVisible() and not jobs.running()
    assert not (paths.datasets_dir() / "big-pairs").exists()


def test_split_summaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_hf_layout(tmp_path)
    summaries = {s.key: s for s in summarize_splits(tmp_path)}
    assert list(summaries) == ["train", "validation", "test"]
    train = summaries["train"]
    assert train.files == ("data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet")
    assert train.rows == 120 and train.shape == "prompt/completion pairs" and not train.problem
    assert train.first_row == "prompt: question 0 · completion: answer 0"
    assert train.size == sum((tmp_path / f).stat().st_size for f in train.files)
    assert summaries["validation"].rows == 10 and summaries["test"].rows == 20

    monkeypatch.setattr(ddd, "PREVIEW_MAX_BYTES", 0)  # no file read: the counts that need no parsing only
    summaries = {s.key: s for s in summarize_splits(tmp_path)}
    assert summaries["train"].rows == 120 and summaries["train"].first_row == ""
    (tmp_path / "data" / "extra.csv").write_text("prompt,completion\na,b\n", encoding="utf-8")
    (tmp_path / "data" / "broken-test.jsonl").write_text("{not json\n", encoding="utf-8")
    assert cheap_row_count(tmp_path / "data" / "extra.csv") is None
    assert cheap_row_count(tmp_path / "data" / "validation-00000-of-00001.jsonl") == 10
    assert summaries["validation"].rows == 10

    monkeypatch.setattr(ddd, "PREVIEW_MAX_BYTES", 10 ** 9)
    summaries = {s.key: s for s in summarize_splits(tmp_path)}
    assert summaries["extra"].rows == 1  # read (small), so counted
    assert summaries["test"].problem.startswith("data/broken-test.jsonl:1") and summaries["test"].rows == 21
