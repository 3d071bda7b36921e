"""Widgets of the Train page: config form, live plots, progress strip, log panel, run list."""
