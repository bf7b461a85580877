"""digitpad's desktop app (PySide6). Nothing outside this package imports Qt."""

from digitpad.gui.binding_guard import guard_singleton_refcounts

# Before any widget exists: see binding_guard for the PySide6 bug this protects against.
guard_singleton_refcounts()
