"""Widgets of the Fuse & Test page: answer panes, the side-by-side comparison, the batch-evaluation table, dialogs."""
