"""digitpad: draw a digit and watch a faithful LeNet-5 recognise it."""

__version__ = "0.1.0"
