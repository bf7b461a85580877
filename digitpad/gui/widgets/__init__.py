"""Reusable painted widgets: the canvas, pixel views, map grids, the line plot, colour maps."""
