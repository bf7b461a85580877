"""Files: where things live, safe writes, JSON Lines, MNIST, checkpoints, personal samples, ONNX."""
