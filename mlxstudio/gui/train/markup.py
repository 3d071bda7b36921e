"""HTML escaping for the Train page's rich-text banner and start checks (names, paths and messages shown as text)."""


def esc(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
