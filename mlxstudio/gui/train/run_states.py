"""The Train page's run states: which buttons are enabled is derived from these only."""

IDLE, RUNNING, STOPPING, STOPPED, FINISHED, FAILED = "idle", "running", "stopping", "stopped", "finished", "failed"
