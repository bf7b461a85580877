"""Dialogs and feature windows opened from the menus."""
