"""GGUF files into MLX model folders: the file reader (:mod:`.reader`), the tokenizer and chat template from the
metadata (:mod:`.tokenizer`) and the importer (:mod:`.importer`).
"""
