"""Issue 17: the datasets people already have — Alpaca, ShareGPT, OpenAI content parts, JSON arrays, CSV, Parquet,
field mappings, mixed-format folders — open, convert (the original untouched), validate truthfully and train.

The files are written in the exact shapes the public datasets use (LLaMA-Factory's identity.json / alpaca_zh_demo.json
/ glaive_toolcall_zh_demo.json / mllm_demo.json, mlx-examples' lora/data folder with WikiSQL valid/test rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlxstudio.core.data import FieldMap, load_dataset, load_training_data, save_dataset, validate_dataset
from mlxstudio.core.errors import DataError

IDENTITY = [  # identity.json: instruction / empty input / output with the {{name}} placeholders people replace
    {"instruction": "hi", "input": "", "output": "Hello! I am {{name}}, an AI assistant developed by {{author}}. "
                                                 "How can I assist you today?"},
    {"instruction": "你好", "input": "",
     "output": "您好，我是 {{name}}，一个由 {{author}} 开发的 AI 助手，很高兴认识您。"},
    {"instruction": "你是谁？", "input": "", "output": "您好，我是由 {{author}} 发明的 {{name}}。"},
]
ALPACA_ZH = [  # alpaca_zh_demo.json: some rows with an input, one with a system prompt and a history
    {"instruction": "识别并解释给定列表中的两个科学理论：细胞理论和日心说。", "input": "",
     "output": "细胞理论是生物科学的一个理论，它认为所有生命体都是由微小的基本单元——细胞所构成。"},
    {"instruction": "输入三支篮球队的名称并生成一个适当的口号。",
     "input": "输入：俄克拉荷马城雷霆队，芝加哥公牛队，布鲁克林网队。",
     "output": "输出： \"雷霆，公牛和网队：各显神通，角逐群雄!\""},
    {"instruction": "那它们有什么不同？", "input": "", "output": "细胞理论讲生命，日心说讲天体。",
     "system": "你是一个科学老师。", "history": [["什么是细胞理论？", "所有生命体都由细胞构成。"],
                                         ["什么是日心说？", "太阳是太阳系的中心。"]]},
]
TOOLS = json.dumps([{"name": "calculate_age", "description": "根据出生日期计算年龄", "parameters": {
    "type": "object", "properties": {"birthdate": {"type": "string", "description": "出生日期以YYYY-MM-DD格式表示"}},
    "required": ["birthdate"]}}], ensure_ascii=False)
SHAREGPT = [  # glaive_toolcall_zh_demo.json: tools as a JSON string, function_call / observation turns
    {"conversations": [
        {"from": "human", "value": "你好，我出生于1990年5月15日。你能告诉我我今天几岁了吗？"},
        {"from": "function_call", "value": json.dumps({"name": "calculate_age",
                                                        "arguments": {"birthdate": "1990-05-15"}})},
        {"from": "observation", "value": "{\"age\": 31}"},
        {"from": "gpt", "value": "根据我的计算，你今天31岁了。"}], "tools": TOOLS},
    {"conversations": [{"from": "human", "value": "番茄酱意大利面或通心粉？"}, {"from": "gpt", "value": "意大利面。"}],
     "tools": "[]", "system": "回答要简短。"},
]


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_alpaca_identity_json_converts_to_pairs_and_leaves_the_file(tmp_path: Path) -> None:
    src = write_json(tmp_path / "identity.json", IDENTITY)
    before = src.read_bytes()
    ds = load_dataset(src)
    assert ds.format == "completion"
    assert ds.rows[1] == {"prompt": "你好", "completion": IDENTITY[1]["output"]}
    assert ds.lines == [2, 7, 12]  # where each object starts in the pretty-printed array
    assert ds.conversion is not None
    assert ds.conversion.summary() == "Alpaca (instruction/input/output) → 3 prompt/completion pairs"
    assert not [p for p in validate_dataset(ds) if p.severity == "error"]
    with pytest.raises(DataError, match="the original file stays as it is"):
        save_dataset(ds)  # Save would overwrite the Alpaca file with other rows: refused
    assert src.read_bytes() == before
    out = save_dataset(ds, tmp_path / "identity.jsonl")
    assert ds.conversion is None and load_dataset(out).rows == ds.rows


def test_alpaca_input_joins_with_a_line_break_and_history_makes_chat(tmp_path: Path) -> None:
    ds = load_dataset(write_jsonl(tmp_path / "alpaca_zh_demo.jsonl", ALPACA_ZH))
    assert ds.format == "chat"  # one row needs chat: every row becomes the same two-message chat
    assert ds.rows[1]["messages"] == [
        {"role": "user", "content": ALPACA_ZH[1]["instruction"] + "\n" + ALPACA_ZH[1]["input"]},
        {"role": "assistant", "content": ALPACA_ZH[1]["output"]}]
    assert [m["role"] for m in ds.rows[2]["messages"]] == ["system", "user", "assistant", "user", "assistant",
                                                           "user", "assistant"]
    assert ds.rows[2]["messages"][1]["content"] == "什么是细胞理论？"
    assert ds.conversion is not None and ds.conversion.summary() == (
        "Alpaca (instruction/input/output) → 3 chat rows; 1 row with a system prompt; "
        "1 row with history (earlier turns)")
    assert not validate_dataset(ds)


def test_sharegpt_tool_calls_become_mlx_lm_tool_call_messages(tmp_path: Path) -> None:
    ds = load_dataset(write_json(tmp_path / "glaive_toolcall_zh_demo.json", SHAREGPT))
    first = ds.rows[0]
    assert [m["role"] for m in first["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert first["messages"][1]["tool_calls"] == [
        {"type": "function", "function": {"name": "calculate_age", "arguments": {"birthdate": "1990-05-15"}}}]
    assert first["tools"] == [{"type": "function", "function": json.loads(TOOLS)[0]}]
    assert "tools" not in ds.rows[1]  # "[]": no tools
    assert ds.rows[1]["messages"][0] == {"role": "system", "content": "回答要简短。"}
    assert ds.conversion is not None and ds.conversion.shape == "sharegpt"
    assert "1 tool call" in ds.conversion.summary() and "1 row with tools" in ds.conversion.summary()
    assert not [p for p in validate_dataset(ds) if p.severity == "error"]  # a tool-call turn is not "empty"


def test_sharegpt_role_content_variant_under_messages(tmp_path: Path) -> None:
    rows = [{"messages": [{"from": "user", "value": "1+1?"}, {"from": "assistant", "value": "2"}]}]
    ds = load_dataset(write_jsonl(tmp_path / "sg.jsonl", rows))
    assert ds.rows == [{"messages": [{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2"}]}]


def test_openai_content_parts_are_joined_and_images_are_a_true_error(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user",
                       "content": [{"type": "text", "text": "今天"}, {"type": "text", "text": "星期几"}]},
                      {"role": "assistant", "content": [{"type": "text", "value": "星期八"}]}]},
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "a.png"}},
                                                   {"type": "text", "text": "这是什么？"}]},
                      {"role": "assistant", "content": [{"type": "text", "text": "一只猫"}]}]},
    ]
    ds = load_dataset(write_jsonl(tmp_path / "parts.jsonl", rows))
    assert ds.rows[0]["messages"] == [{"role": "user", "content": "今天星期几"},
                                      {"role": "assistant", "content": "星期八"}]
    problems = [p.format(ds.name) for p in validate_dataset(ds)]
    # one error per broken row, and never the false "no assistant message" (the row has one)
    assert problems == ["parts.jsonl:2: message 1 (user) has an image part — MLX Studio trains on text only; remove "
                        "that part (or the row)"]


def test_a_broken_assistant_message_is_still_an_assistant_message() -> None:
    from mlxstudio.core.data import validate_row

    issues = validate_row({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": 5}]},
                          "chat")
    assert [m for _, m, _ in issues] == ["message 2 (assistant) has content that is a number, not text"]


def test_alpaca_json_array_with_unknown_keys_gets_a_true_message(tmp_path: Path) -> None:
    src = write_json(tmp_path / "qa.json", [{"question": "a", "answer": "b"}])
    with pytest.raises(DataError) as err:
        load_dataset(src)
    text = str(err.value)
    assert "JSONL" not in text and "JSON array" not in text  # the old, wrong message
    assert "found: answer, question" in text and "--prompt-feature" in text
    mapped = load_dataset(src, FieldMap({"prompt": "question", "completion": "answer"}))
    assert mapped.rows == [{"prompt": "a", "completion": "b"}]
    assert mapped.conversion is not None and mapped.conversion.summary() == \
        "fields mapped by you → 1 prompt/completion pair"


def test_csv_and_parquet_alpaca(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv = tmp_path / "alpaca.csv"
    csv.write_text("instruction,input,output\n你好,,您好！\n翻译,早上好,Good morning\n", encoding="utf-8")
    ds = load_dataset(csv)
    assert ds.rows == [{"prompt": "你好", "completion": "您好！"},
                       {"prompt": "翻译\n早上好", "completion": "Good morning"}]
    assert ds.lines == [2, 3]
    tsv = tmp_path / "alpaca.tsv"  # tab-separated, with Alpaca's header (not one of ours: the separator is sniffed)
    tsv.write_text("instruction\tinput\toutput\n你好\t\t您好！\n", encoding="utf-8")
    assert load_dataset(tsv).rows == [{"prompt": "你好", "completion": "您好！"}]
    pq.write_table(pa.Table.from_pylist(IDENTITY), tmp_path / "train-00000-of-00001.parquet")
    ds = load_dataset(tmp_path / "train-00000-of-00001.parquet")
    assert ds.format == "completion" and len(ds) == 3 and ds.lines == [None, None, None]
    assert ds.conversion is not None and ds.conversion.shape == "alpaca"
    # a ShareGPT Parquet file: nested lists of structs come back as lists of dicts
    pq.write_table(pa.Table.from_pylist(SHAREGPT), tmp_path / "sg.parquet")
    sg = load_dataset(tmp_path / "sg.parquet")
    assert sg.rows[0]["messages"][1]["tool_calls"][0]["function"]["name"] == "calculate_age"
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_dataset(tmp_path / "broken.parquet")


def test_multimodal_rows_say_text_only(tmp_path: Path) -> None:
    rows = [{"messages": [{"content": "<image>Who are they?", "role": "user"},
                          {"content": "They're Kane and Gretzka from Bayern Munich.", "role": "assistant"}],
             "images": ["mllm_demo_data/1.jpg"]}]
    ds = load_dataset(write_json(tmp_path / "mllm_demo.json", rows))
    messages = [p.message for p in validate_dataset(ds)]
    assert any("trains on text only" in m for m in messages), messages


def test_the_tutorial_folder_trains_with_mixed_formats(tmp_path: Path, seed_data: Path, tiny_model: Path) -> None:
    """mlx-examples/lora/data: the five completion pairs as train.jsonl next to WikiSQL's text valid/test."""
    from mlxstudio.core.training.config import TrainConfig
    from mlxstudio.core.training.engine import run_training

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_bytes(seed_data.read_bytes())
    wikisql = [{"text": "table: 1-10015132-16\ncolumns: Player, No., Nationality, Position, Years in Toronto, "
                        "School/Club Team\nQ: What is terrence ross' nationality\nA: SELECT Nationality FROM "
                        "1-10015132-16 WHERE Player = 'Terrence Ross'"},
               {"text": "table: 1-10015132-16\ncolumns: Player, No., Nationality, Position, Years in Toronto, "
                        "School/Club Team\nQ: how many schools or teams had jalen rose\nA: SELECT COUNT "
                        "School/Club Team FROM 1-10015132-16 WHERE Player = 'Jalen Rose'"}]
    write_jsonl(folder / "valid.jsonl", wikisql)
    write_jsonl(folder / "test.jsonl", wikisql)
    data = load_training_data(folder)
    assert "prompt" in data["train"][0] and "text" in data["valid"][0]
    cfg = TrainConfig(iters=2, batch_size=2, steps_per_report=1, steps_per_eval=2, num_layers=2, val_batches=1,
                      learning_rate=1e-3)
    result = run_training(tiny_model, str(folder), tmp_path / "adapter", cfg)
    assert result["iterations"] == 2


def test_an_alpaca_file_trains(tmp_path: Path, tiny_model: Path) -> None:
    from mlxstudio.core.training.config import TrainConfig
    from mlxstudio.core.training.engine import run_training

    src = write_jsonl(tmp_path / "alpaca.jsonl", ALPACA_ZH)
    cfg = TrainConfig(iters=2, batch_size=2, steps_per_report=1, steps_per_eval=2, num_layers=2, val_batches=1,
                      learning_rate=1e-3)
    assert run_training(tiny_model, str(src), tmp_path / "adapter", cfg)["iterations"] == 2


def test_cli_validates_folders_and_converts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlxstudio.cli import main

    folder = tmp_path / "d"
    folder.mkdir()
    write_json(folder / "train.json", IDENTITY)
    write_jsonl(folder / "valid.jsonl", [{"text": "hello"}])
    assert main(["data", "validate", str(folder)]) == 0
    captured = capsys.readouterr()
    assert f"{folder / 'train.json'}: Alpaca (instruction/input/output) → 3 prompt/completion pairs" in captured.err
    assert f"{folder / 'valid.jsonl'}: 1 row (text)" in captured.err
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(tmp_path / "d" / "train.json"), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0]) == {"prompt": "hi",
                                                                          "completion": IDENTITY[0]["output"]}
    qa = write_jsonl(tmp_path / "qa.jsonl", [{"q": "问", "a": "答"}])
    assert main(["data", "validate", str(qa)]) == 2
    capsys.readouterr()
    assert main(["data", "validate", str(qa), "--prompt-feature", "q", "--completion-feature", "a"]) == 0


def test_cli_train_takes_mlx_lm_feature_names(tmp_path: Path, tiny_model: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`--prompt-feature`/`--completion-feature` (and the same keys of an mlx-lm YAML) reach the trainer."""
    from mlxstudio.cli import main

    data = write_jsonl(tmp_path / "qa.jsonl", [{"question": f"问题 {i}", "answer": f"答案 {i}"} for i in range(6)])
    common = ["train", "--model", str(tiny_model), "--data", str(data), "--iters", "2", "--batch-size", "2",
              "--num-layers", "2", "--steps-per-eval", "2", "--val-batches", "1"]
    assert main([*common, "--adapter-path", str(tmp_path / "a")]) == 2  # unknown fields: refused, with how to map
    assert "--prompt-feature" in capsys.readouterr().err
    assert main([*common, "--adapter-path", str(tmp_path / "b"), "--prompt-feature", "question",
                 "--completion-feature", "answer"]) == 0
    cfg = tmp_path / "lora.yaml"
    cfg.write_text("prompt_feature: question\ncompletion_feature: answer\niters: 2\nbatch_size: 2\nnum_layers: 2\n"
                   "steps_per_eval: 2\nval_batches: 1\n", encoding="utf-8")
    assert main(["train", "--model", str(tiny_model), "--data", str(data), "--config", str(cfg),
                 "--adapter-path", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "adapters.safetensors").is_file()


def test_preference_and_kto_data_say_what_is_trained(tmp_path: Path) -> None:
    """dpo_zh_demo.json / kto_en_demo.json (LLaMA-Factory) and TRL's prompt/chosen/rejected: recognised, and the
    summary says what supervised fine-tuning makes of them — the chosen answers; KTO rows labelled false left out."""
    dpo = [{"conversations": [{"from": "system", "value": "你是助手。"},
                              {"from": "human", "value": "构建一个逻辑推理链。"}],
            "chosen": {"from": "gpt", "value": "前提：所有人都是会死的。"},
            "rejected": {"from": "gpt", "value": "鲸鱼有脊椎。"}}]
    ds = load_dataset(write_json(tmp_path / "dpo_zh_demo.json", dpo))
    assert ds.rows == [{"messages": [{"role": "system", "content": "你是助手。"},
                                     {"role": "user", "content": "构建一个逻辑推理链。"},
                                     {"role": "assistant", "content": "前提：所有人都是会死的。"}]}]
    assert ds.conversion is not None and "the rejected one left out" in ds.conversion.summary()
    trl = [{"prompt": "1+1?", "chosen": "2", "rejected": "3"}]
    assert load_dataset(write_jsonl(tmp_path / "trl.jsonl", trl)).rows == [{"prompt": "1+1?", "completion": "2"}]
    kto = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}], "label": True},
           {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Go away."}],
            "label": False},
           {"messages": [{"role": "user", "content": "bye"}, {"role": "assistant", "content": "Bye!"}], "label": True}]
    ds = load_dataset(write_json(tmp_path / "kto_en_demo.json", kto))
    assert [r["messages"][1]["content"] for r in ds.rows] == ["Hello!", "Bye!"]
    assert len(ds.lines) == 2 and ds.lines[1] is not None and ds.lines[1] > ds.lines[0]
    assert ds.conversion is not None
    assert "1 row labelled false (an answer to avoid) left out" in ds.conversion.summary()
