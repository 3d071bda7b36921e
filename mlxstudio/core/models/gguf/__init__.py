"""GGUF files into MLX model folders: the file reader (:mod:`.reader`), the tokenizer and chat template from the
metadata (:mod:`.tokenizer`), gguf-py dequantization of every other tensor type (:mod:`.dequant`) and the
importer (:mod:`.importer`).
"""
