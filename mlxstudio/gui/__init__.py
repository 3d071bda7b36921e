"""The PySide6 window. Pages are thin: they build widgets and call :mod:`mlxstudio.core`."""
