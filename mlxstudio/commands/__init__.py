"""Subcommands of ``mlxstudio-cli``; one module per group (see :mod:`mlxstudio.cli`)."""
