"""py2app build script for MLX Studio.app (completed by the packaging work): `python setup_app.py py2app`."""
