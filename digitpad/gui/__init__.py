"""digitpad's desktop app (PySide6). Nothing outside this package imports Qt."""
