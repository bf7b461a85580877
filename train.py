#!/usr/bin/env python3
"""Train digitpad's LeNet-5 on MNIST: `python train.py --epochs 20 --out weights.pt`."""

import sys

from digitpad.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
