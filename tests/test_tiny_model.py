"""The tiny synthetic model that the engine tests build really loads and runs in mlx-lm."""

from pathlib import Path


def test_tiny_model_loads_and_generates(tiny_model: Path) -> None:
    from mlx_lm import generate, load

    model, tokenizer = load(str(tiny_model))
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "今天星期几"}], add_generation_prompt=True)
    text = generate(model, tokenizer, prompt=prompt, max_tokens=5)
    assert isinstance(text, str)
    ids = tokenizer.encode("蓝牙耳机坏了应该看什么科")
    assert tokenizer.decode(ids) == "蓝牙耳机坏了应该看什么科"
