"""Strokes and images -> the normalised 32×32 input of LeNet-5 (numpy and Pillow; no torch, no Qt)."""
