"""Shared fixtures. MNIST is found through $DIGITPAD_MNIST (default: ../shared/data/mnist)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from digitpad.paths import default_mnist_dir


@pytest.fixture(scope="session")
def mnist_dir():
    path = default_mnist_dir()
    if not (path / "t10k-images-idx3-ubyte.gz").exists() and not (path / "t10k-images-idx3-ubyte").exists():
        pytest.fail(f"MNIST not found in {path}: set DIGITPAD_MNIST to the folder with the IDX files")
    return path


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """LeNet-5's tensors are small: a second thread gains little and, on a shared 2-core
    machine, an unscheduled OpenMP thread makes each step wait. One thread also makes timings
    in the tests (not asserted) and training results repeatable."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path, monkeypatch):
    """Every test gets its own user data directory and HOME, so nothing touches the real ones."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("DIGITPAD_HOME", raising=False)
    return home
