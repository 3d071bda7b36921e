"""Widgets of the Data page: table model, undo commands, delegates, token view, histogram, split panel."""
