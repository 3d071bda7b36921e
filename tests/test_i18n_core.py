"""The engine's and the CLI's messages in Simplified Chinese (issue 23): the catalog covers every marked message with
the same placeholders, the language follows MLXSTUDIO_LANG / the locale, and real errors come out in Chinese."""

from __future__ import annotations

import ast
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

import mlxstudio
from mlxstudio.core import i18n
from mlxstudio.core.data import load_dataset
from mlxstudio.core.data.validate import validate_rows
from mlxstudio.core.errors import DataError

PACKAGE = Path(mlxstudio.__file__).parent
CATALOG = PACKAGE / "resources" / "i18n" / "core" / "zh_CN.json"
MARKERS = ("_", "N_", "ngettext")
CONFIG = PACKAGE / "core" / "training" / "config.py"


def _config_field_texts() -> dict[str, str]:
    """TrainConfig's field labels and help (``_f(default, label, help)`` and ``metadata={"label": …, "help": …}``):
    messages too — the CLI's ``train --help`` and the Train page's form show them through :func:`i18n._`."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(CONFIG.read_text(encoding="utf-8"))):
        texts: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_f":
            texts = node.args[1:3]
        elif isinstance(node, ast.Dict):
            texts = [v for k, v in zip(node.keys, node.values, strict=True)
                     if isinstance(k, ast.Constant) and k.value in ("label", "help")]
        for arg in texts:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, f"mlxstudio/core/training/config.py:{arg.lineno}")
    return found


def _marked_messages() -> dict[str, str]:
    """Every string literal passed to ``_``, ``N_`` or ``ngettext`` (both forms) in modules that import them from
    :mod:`mlxstudio.core.i18n` → where it first appears."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "mlxstudio.core.i18n import" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS):
                continue
            literals = node.args[:2] if node.func.id == "ngettext" else node.args[:1]
            for arg in literals:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found | _config_field_texts()


def _placeholders(text: str) -> list[tuple[str, ...]]:
    """str.format fields (name, conversion, spec) and %-style fields, sorted: what must survive translation."""
    fields = [(name, conv or "", spec or "") for _lit, name, spec, conv in string.Formatter().parse(text)
              if name is not None]
    percent = [(m,) for m in re.findall(r"%\(\w+\)[sdr]|%[sdr]", text)]
    return sorted(fields) + sorted(percent)


def _catalog() -> dict[str, str]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert data["language"] == "zh_CN"
    messages: dict[str, str] = data["messages"]
    return messages


def test_every_marked_message_has_a_chinese_entry() -> None:
    marked = _marked_messages()
    assert len(marked) > 300  # the engine's and the CLI's messages are marked, not a handful
    messages = _catalog()
    missing = [f"{where}: {text!r}" for text, where in marked.items() if text not in messages]
    assert not missing, "no zh_CN entry for:\n" + "\n".join(missing)


def test_entries_are_finished_and_keep_their_placeholders() -> None:
    for source, chinese in _catalog().items():
        assert chinese.strip(), f"empty translation of {source!r}"
        assert _placeholders(chinese) == _placeholders(source), f"placeholders differ: {source!r} → {chinese!r}"
        words = re.sub(r"\{[^{}]*\}|%\(\w+\)[sdr]|\w+[._]\w+", "", source)  # around placeholders, identifiers
        if re.search(r"[a-z]{4}", words):
            assert re.search(r"[\u4e00-\u9fff]", chinese) or source.isupper() or "/" in source, \
                f"not translated: {source!r} → {chinese!r}"


def test_english_is_the_source_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLXSTUDIO_LANG", "en")
    assert i18n._("file not found — check the path") == "file not found — check the path"
    assert i18n.ngettext("{n} row", "{n} rows", 2).format(n=2) == "2 rows"
    monkeypatch.setenv("MLXSTUDIO_LANG", "zh_CN")
    assert i18n._("file not found — check the path") == "找不到文件 — 请检查路径"
    assert i18n.ngettext("{n} row", "{n} rows", 2).format(n=2) == "2 行"
    assert i18n._("a message nobody translated") == "a message nobody translated"


@pytest.mark.parametrize(("env", "expected"), [
    ({"MLXSTUDIO_LANG": "zh_CN", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"MLXSTUDIO_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"MLXSTUDIO_LANG": "system", "LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_TW.UTF-8"}, "zh_CN"),
    ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
])
def test_system_language(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for var in ("MLXSTUDIO_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.system_language() == expected


def test_set_language_reaches_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    i18n.set_language("zh_CN")
    assert os.environ["MLXSTUDIO_LANG"] == "zh_CN" and i18n.current_language() == "zh_CN"
    i18n.set_language("system")
    assert os.environ["MLXSTUDIO_LANG"] == "en" and i18n.current_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    i18n.set_language(None)
    assert i18n.current_language() == "zh_CN"
    assert set(i18n.LANGUAGES) == {"en", "zh_CN"}


def test_a_malformed_jsonl_line_in_chinese(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"prompt": "你好", "completion": "好"}\n{"prompt": "x", completion: 1}\n', encoding="utf-8")
    with pytest.raises(DataError) as english:
        load_dataset(bad)
    assert "invalid JSON at column 17: Expecting property name enclosed in double quotes" in str(english.value)
    monkeypatch.setenv("MLXSTUDIO_LANG", "zh_CN")
    with pytest.raises(DataError) as chinese:
        load_dataset(bad)
    assert str(chinese.value).startswith(f"{bad}:2: 第 17 列处的 JSON 无效：此处应为用双引号括起来的键名")
    assert "每行必须是一个 JSON 对象" in str(chinese.value)


def test_validation_problems_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLXSTUDIO_LANG", "zh_CN")
    pair = {"prompt": "你好", "completion": "好"}
    rows = [pair, {"prompt": "", "completion": 3}, dict(pair)]
    lines = [p.format("train.jsonl") for p in validate_rows(rows, "completion", [1, 2, 3])]
    assert lines == ['train.jsonl:2: "prompt" 是空的 — 请写上提示词，或删除这一行',
                     'train.jsonl:2: "completion" 是数字，不是文本 — 请把回答放在引号里',
                     "train.jsonl:3: 警告：与第 1 条（第 1 行）相同 — 重复的数据在训练中会被计算两次；请删除其中一条"]


def _cli(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLXSTUDIO_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "mlxstudio.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_cli_speaks_chinese_in_a_chinese_locale(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "hi", "completion": "yo"}\n{"prompt": "x" "completion": "y"}\n', encoding="utf-8")
    result = _cli("data", "validate", str(bad), lang="zh_CN.UTF-8")
    assert result.returncode == 2
    assert f"{bad}:2: 第 16 列处的 JSON 无效：此处应为 ',' 分隔符" in result.stdout + result.stderr
    assert "无法使用 — 请修正上面的问题后重新运行" in result.stdout + result.stderr

    help_text = _cli("--help", lang="zh_CN.UTF-8").stdout
    assert help_text.startswith("用法：mlxstudio-cli")
    assert "选项:" in help_text and "显示这条帮助信息并退出" in help_text and "训练一个 LoRA/DoRA 适配器" in help_text

    error = _cli("data", "validate", lang="zh_CN.UTF-8")
    assert error.returncode == 2 and "错误：" in error.stderr

    english = _cli("data", "validate", str(bad), lang="en_US.UTF-8")
    assert "invalid JSON at column 16: Expecting ',' delimiter" in english.stdout + english.stderr
