"""Shared fixtures. MNIST is found as the app finds it (digitpad.paths.default_mnist_dir):
$DIGITPAD_MNIST, ../shared/data/mnist, the user's download, else the test set and training
slice shipped in resources/mnist, so a fresh clone needs nothing else."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from digitpad.paths import default_mnist_dir
from digitpad.storage.run_metrics import RunMetrics


def pytest_collection_modifyitems(items):
    """Hypothesis searches are slow by nature: marked here, so none is left out of `-m "not slow"`'s
    exclusion (subprocess and training tests carry @pytest.mark.slow themselves)."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist_dir():
    path = default_mnist_dir()
    if not (path / "t10k-images-idx3-ubyte.gz").exists() and not (path / "t10k-images-idx3-ubyte").exists():
        pytest.fail(f"MNIST not found in {path}: set DIGITPAD_MNIST to the folder with the IDX files")
    return path


@pytest.fixture
def mnist_served(mnist_dir, monkeypatch):
    """`mnist_dir`, for tests that serve it as a download mirror. fetch_mnist accepts only the
    published checksums; when mnist_dir is the 5,000-image training slice shipped in
    resources/mnist (a fresh clone), the table is pointed at the slice's for the training files."""
    from digitpad.storage import mnist
    from digitpad.paths import shipped_mnist_dir

    if mnist_dir.resolve() == shipped_mnist_dir().resolve():
        monkeypatch.setattr(mnist, "KNOWN_MD5", {**mnist.KNOWN_MD5, **mnist.SHIPPED_SLICE_MD5})
    return mnist_dir


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


@pytest.fixture(scope="session")
def gui_weights() -> Path:
    """Trained weights for the GUI tests: the shipped file, or $DIGITPAD_GUI_TEST_WEIGHTS."""
    from digitpad.app import model_session

    shipped = model_session.shipped_weights_file()
    if shipped.exists():
        return shipped
    fallback = os.environ.get("DIGITPAD_GUI_TEST_WEIGHTS")
    if fallback and Path(fallback).exists():
        return Path(fallback)
    pytest.skip(f"no trained weights: {shipped} is missing and $DIGITPAD_GUI_TEST_WEIGHTS is not set")


@pytest.fixture
def use_weights(gui_weights, monkeypatch):
    from digitpad.app import model_session

    monkeypatch.setattr(model_session, "shipped_weights_file", lambda: gui_weights)
    return gui_weights


@pytest.fixture
def window(qtbot, use_weights, message_boxes):
    """The main window with the trained weights, shown; its message boxes recorded. Test files
    that need another size or clean-up define their own `window`."""
    from digitpad.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def message_boxes(monkeypatch):
    """Every QMessageBox the window would show, recorded instead of blocking the test."""
    from PySide6.QtWidgets import QMessageBox

    calls: list[tuple[str, str, str]] = []

    def recorder(kind):
        def record(parent, title, text, *args, **kwargs):
            calls.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return record

    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))
    return calls


@pytest.fixture
def answers(monkeypatch):
    """QMessageBox.question answers, given in order by the test; the questions are recorded. With
    none left (the test is over and its window closes, asking about a model left waiting) the
    answer is Discard: nothing is kept."""
    from PySide6.QtWidgets import QMessageBox

    queue: list = []
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(title)
        return queue.pop(0) if queue else QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    return queue, asked


@pytest.fixture
def untrained_shipped_weights(tmp_path, monkeypatch):
    """A seeded, untrained checkpoint standing in for the shipped weights (the retraining tests must
    not depend on how good the real ones are)."""
    import torch

    from digitpad.app import model_session
    from digitpad.network.lenet5 import LeNet5
    from digitpad.storage.checkpoints import save_checkpoint

    path = tmp_path / "shipped.pt"
    save_checkpoint(path, LeNet5(generator=torch.Generator().manual_seed(11)), {"epochs": 0},
                    RunMetrics(test_error=0.9))
    monkeypatch.setattr(model_session, "shipped_weights_file", lambda: path)
    return path
