"""Write the dataset part of the bad-input corpus (tests/data/bad/) and the unusual-but-valid set (tests/data/ok/).

Run once: ``python tests/data/make_dataset_corpus.py``; the files are committed. ``bad/EXPECTED.json`` maps each file
to the documented ``data validate`` exit code (0 clean or warnings only, 1 errors found, 2 unusable) and the line the
message must name (null: no line, e.g. an empty file). Others may add files (YAML, GGUF) with their own manifests.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
GOOD = '{"prompt": "今天星期几", "completion": "星期八"}\n'
GOOD2 = '{"prompt": "太阳什么时候升起?", "completion": "晚上八点"}\n'

BAD: dict[str, tuple[bytes, int, int | None]] = {}
OK: dict[str, bytes] = {}


def bad(name: str, text: str | bytes, code: int, line: int | None) -> None:
    BAD[name] = (text.encode("utf-8") if isinstance(text, str) else text, code, line)


def ok(name: str, text: str | bytes) -> None:
    OK[name] = text.encode("utf-8") if isinstance(text, str) else text


# -- JSONL: unusable (exit 2) --------------------------------------------------------------------------------------
bad("invalid_json.jsonl", GOOD + '{"prompt": "a", "completion": }\n', 2, 2)
bad("trailing_garbage.jsonl", GOOD + GOOD2 + '{"prompt": "a", "completion": "b"} xyz\n', 2, 3)
bad("two_objects_one_line.jsonl", GOOD + '{"prompt": "a", "completion": "b"}{"prompt": "c", "completion": "d"}\n', 2, 2)
bad("unclosed_string.jsonl", GOOD + '{"prompt": "a, "completion": "b"}\n', 2, 2)
bad("single_quotes.jsonl", "{'prompt': 'a', 'completion': 'b'}\n", 2, 1)
bad("missing_comma.jsonl", GOOD + GOOD2 + '{"prompt": "a" "completion": "b"}\n', 2, 3)
bad("raw_tab_in_string.jsonl", GOOD + '{"prompt": "a\tb", "completion": "c"}\n', 2, 2)
bad("invalid_utf8.jsonl", GOOD.encode() + b'{"prompt": "caf\xff", "completion": "b"}\n', 2, 2)
bad("latin1.jsonl", GOOD.encode() + GOOD2.encode() + '{"prompt": "café", "completion": "b"}\n'.encode("latin-1"), 2, 3)
bad("nul_byte.jsonl", GOOD + GOOD2 + '{"prompt": "a\x00", "completion": "b"}\n', 2, 3)
bad("binary_garbage.jsonl", bytes(range(256)) * 4, 2, 1)
bad("utf16.jsonl", (GOOD + GOOD2).encode("utf-16"), 2, 1)
bad("non_object_array.jsonl", GOOD + '["今天星期几", "星期八"]\n', 2, 2)
bad("non_object_string.jsonl", GOOD + '"just a string"\n', 2, 2)
bad("non_object_number.jsonl", GOOD + GOOD2 + "42\n", 2, 3)
bad("null_row.jsonl", "null\n" + GOOD, 2, 1)
bad("empty.jsonl", "", 2, None)
bad("only_whitespace.jsonl", "   \n\t\n  \r\n", 2, None)
bad("only_newlines.jsonl", "\n\n\n", 2, None)
bad("deep_nesting.jsonl", GOOD + "[" * 50000 + "]" * 50000 + "\n", 2, 2)
bad("deep_nesting_in_value.jsonl", '{"prompt": ' + "[" * 50000 + "]" * 50000 + ', "completion": "b"}\n', 2, 1)
bad("huge_line_invalid.jsonl", GOOD + '{"prompt": "' + "长" * 100000 + '", "completion": "b"\n', 2, 2)
# one JSON array of rows opens whatever the file is called (issue 17: the message said JSONL must not be an array)
bad("json_array_file.jsonl", "[\n  " + GOOD.strip() + ",\n  " + GOOD2.strip() + "\n]\n", 0, None)
bad("pretty_printed.jsonl", '{\n  "prompt": "今天星期几",\n  "completion": "星期八"\n}\n', 2, 1)
bad("csv_content_named_jsonl.jsonl", "prompt,completion\n今天星期几,星期八\n", 2, 1)
bad("unknown_keys_only.jsonl", '{"question": "a", "answer": "b"}\n{"question": "c", "answer": "d"}\n', 2, None)
bad("markdown_fence.jsonl", "```json\n" + GOOD + "```\n", 2, 1)
# -- JSONL: readable, but rows have errors (exit 1) ------------------------------------------------------------------
bad("number_values.jsonl", GOOD + '{"prompt": 1, "completion": 2}\n', 1, 2)
bad("null_values.jsonl", GOOD + GOOD2 + '{"prompt": null, "completion": "b"}\n', 1, 3)
bad("list_value.jsonl", '{"prompt": ["a", "b"], "completion": "c"}\n' + GOOD, 1, 1)
bad("object_value.jsonl", GOOD + '{"prompt": "a", "completion": {"text": "b"}}\n', 1, 2)
bad("bool_value.jsonl", GOOD + '{"prompt": true, "completion": "b"}\n', 1, 2)
bad("nan_value.jsonl", GOOD + '{"prompt": NaN, "completion": "b"}\n', 1, 2)
bad("missing_completion.jsonl", GOOD + GOOD2 + '{"prompt": "a"}\n', 1, 3)
bad("missing_prompt.jsonl", GOOD + '{"completion": "a"}\n', 1, 2)
bad("empty_completion.jsonl", GOOD + '{"prompt": "a", "completion": ""}\n', 1, 2)
bad("whitespace_prompt.jsonl", '{"prompt": "  \\n ", "completion": "b"}\n' + GOOD, 1, 1)
bad("misspelled_key.jsonl", GOOD + '{"prompt": "a", "completoin": "b"}\n', 1, 2)
bad("mixed_formats.jsonl", GOOD + GOOD2 + '{"messages": [{"role": "user", "content": "a"}, '
    '{"role": "assistant", "content": "b"}]}\n' + '{"text": "c"}\n', 1, 3)
bad("empty_object.jsonl", GOOD + "{}\n", 1, 2)
bad("chat_no_assistant.jsonl", '{"messages": [{"role": "user", "content": "a"}]}\n', 1, 1)
bad("chat_messages_not_list.jsonl", '{"messages": [{"role": "user", "content": "a"}, '
    '{"role": "assistant", "content": "b"}]}\n{"messages": "hello"}\n', 1, 2)
bad("chat_empty_messages.jsonl", '{"messages": []}\n', 1, 1)
bad("chat_bad_role.jsonl", '{"messages": [{"role": "human", "content": "a"}, '
    '{"role": "assistant", "content": "b"}]}\n', 1, 1)
bad("chat_missing_role.jsonl", '{"messages": [{"content": "a"}, {"role": "assistant", "content": "b"}]}\n', 1, 1)
bad("chat_content_not_string.jsonl", '{"messages": [{"role": "user", "content": 5}, '
    '{"role": "assistant", "content": "b"}]}\n', 1, 1)
bad("chat_message_not_object.jsonl", '{"messages": ["hi", {"role": "assistant", "content": "b"}]}\n', 1, 1)
bad("chat_empty_assistant.jsonl", '{"messages": [{"role": "user", "content": "a"}, '
    '{"role": "assistant", "content": " "}]}\n', 1, 1)
bad("text_empty.jsonl", '{"text": "hello"}\n{"text": ""}\n', 1, 2)
bad("text_not_string.jsonl", '{"text": ["hello"]}\n{"text": "b"}\n', 1, 1)
# -- JSONL: warnings only (exit 0, still printed with their line) ----------------------------------------------------
bad("duplicates.jsonl", GOOD + GOOD2 + GOOD, 0, 3)
bad("extra_keys.jsonl", GOOD + '{"prompt": "a", "completion": "b", "id": 7}\n', 0, 2)
bad("conflicting_answers.jsonl", GOOD + '{"prompt": "今天星期几", "completion": "星期九"}\n', 0, 2)
bad("chat_last_not_assistant.jsonl", '{"messages": [{"role": "user", "content": "a"}, '
    '{"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}\n', 0, 1)
# -- CSV ------------------------------------------------------------------------------------------------------------
bad("unbalanced_quotes.csv", 'prompt,completion\n今天星期几,星期八\n"a,b\n', 2, 3)
bad("wrong_columns.csv", "question,answer\na,b\n", 2, 1)
bad("no_header.csv", "今天星期几,星期八\n太阳什么时候升起?,晚上八点\n", 2, 1)
bad("too_many_cells.csv", "prompt,completion\n今天星期几,星期八\nhello, world,answer\n", 2, 3)
bad("too_few_cells.csv", "prompt,completion\n今天星期几,星期八\nonly one cell\n", 2, 3)
bad("header_only.csv", "prompt,completion\n", 2, 1)
bad("empty.csv", "", 2, None)
bad("only_whitespace.csv", " \n \n", 2, None)
bad("duplicate_header.csv", "prompt,prompt,completion\na,b,c\n", 2, 1)
bad("invalid_utf8.csv", b"prompt,completion\na,b\nc,\xe4\xbd\n", 2, 3)
bad("nul_byte.csv", "prompt,completion\na,b\nc\x00,d\n", 2, 3)
bad("utf16.csv", "prompt,completion\na,b\n".encode("utf-16"), 2, 1)
bad("jsonl_content_named_csv.csv", GOOD + GOOD2, 2, 1)
bad("empty_cell.csv", "prompt,completion\n今天星期几,星期八\n太阳什么时候升起?,\n", 1, 3)
bad("chat_empty_assistant.csv", "system,user,assistant\nbe brief,hi,hello\n,question,\n", 1, 3)
bad("multiline_cell_then_error.csv", 'prompt,completion\n"line one\nline two",answer\nno answer,\n', 1, 4)
bad("extra_column.csv", "prompt,completion,notes\na,b,c\n", 0, 2)

# -- unusual but valid (exit 0, no errors) ---------------------------------------------------------------------------
ok("bom.jsonl", "\ufeff" + GOOD + GOOD2)
ok("crlf.jsonl", (GOOD + GOOD2).replace("\n", "\r\n"))
ok("bom_in_middle.jsonl", GOOD + "\ufeff" + GOOD2)  # two files with BOMs joined by `cat`
ok("bom_crlf.jsonl", "\ufeff" + (GOOD + GOOD2).replace("\n", "\r\n"))
ok("no_final_newline.jsonl", GOOD + GOOD2.rstrip("\n"))
ok("blank_lines.jsonl", "\n" + GOOD + "\n   \n" + GOOD2 + "\n\n")
ok("unicode_line_separator.jsonl", '{"prompt": "a\u2028b\u0085c", "completion": "d\u2029e"}\n')
ok("escaped_unicode.jsonl", '{"prompt": "\\u4eca\\u5929", "completion": "\\ud83d\\ude00 \\u0000 ok"}\n')
ok("newlines_quotes_commas.jsonl", '{"prompt": "line 1\\nline 2, \\"quoted\\"", "completion": "a,b;c\\td"}\n')
ok("huge_valid_line.jsonl", '{"prompt": "' + "长" * 100000 + '", "completion": "b"}\n')
ok("chat.jsonl", '{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "a"}, '
   '{"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}, {"role": "assistant", '
   '"content": "d"}]}\n')
ok("chat_tools.jsonl", '{"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": null, '
   '"tool_calls": [{"type": "function", "function": {"name": "w", "arguments": {}}}]}, {"role": "tool", '
   '"content": "sunny"}, {"role": "assistant", "content": "Sunny."}], "tools": []}\n')
ok("text.jsonl", '{"text": "One document."}\n{"text": "另一篇文档。"}\n')
ok("extra_spaces.jsonl", '   {  "prompt" : "a" ,  "completion" : "b"  }   \n')
ok("bom_crlf.csv", "\ufeffprompt,completion\r\n今天星期几,星期八\r\n太阳什么时候升起?,晚上八点\r\n")
ok("semicolon.csv", "prompt;completion\n今天星期几;星期八\n\"a;b\";c\n")
ok("tab_separated.tsv", "prompt\tcompletion\n今天星期几\t星期八\n")
ok("embedded_newlines.csv", 'prompt,completion\n"first line\nsecond line","a, ""quoted"" answer"\n')
ok("chat_system.csv", "system,user,assistant\nbe brief,今天星期几,星期八\n,太阳什么时候升起?,晚上八点\n")
ok("header_case_spaces.csv", " Prompt , COMPLETION \na,b\n")
ok("csv_blank_lines.csv", "prompt,completion\n\na,b\n\n")
ok("csv_no_final_newline.csv", "prompt,completion\na,b")
ok("text.csv", "text\nOne document.\n\"Two, with a comma\"\n")


def main() -> None:
    for folder, files in (("bad", {k: v[0] for k, v in BAD.items()}), ("ok", OK)):
        out = HERE / folder
        out.mkdir(exist_ok=True)
        for name, data in files.items():
            (out / name).write_bytes(data)
    manifest = {name: {"exit": code, "line": line} for name, (_, code, line) in sorted(BAD.items())}
    (HERE / "bad" / "EXPECTED.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(BAD)} bad files, {len(OK)} ok files")


if __name__ == "__main__":
    main()
