"""`python -m mlxstudio` opens the app (the GUI)."""

from mlxstudio.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
