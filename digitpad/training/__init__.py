"""Training LeNet-5: the recipe, presets, the data as tensors, the loop and one retraining run."""
