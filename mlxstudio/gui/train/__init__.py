"""Widgets and controllers of the Train page: config form, live plots, progress strip, log panel, run list, hosts
panel; start checks, starting a run, run outcomes, run history, estimates, settings import/export."""
