"""Where digitpad looks for MNIST: the environment, a shared copy, the user's download, the shipped set."""

import importlib.resources
import shutil

from digitpad import paths
from digitpad.storage.mnist import load_mnist


def _fake_mnist(folder):
    folder.mkdir(parents=True)
    for name in paths.MNIST_FILES:
        (folder / f"{name}.gz").write_bytes(b"")
    return folder


def test_mnist_is_looked_for_in_order_env_shared_download_shipped(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.MNIST_ENV, raising=False)
    monkeypatch.setenv(paths.DATA_HOME_ENV, str(tmp_path / "home"))
    shipped = paths.shipped_mnist_dir()
    monkeypatch.setattr(paths, "shipped_mnist_dir", lambda: shipped)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "checkout")  # no ../shared beside it
    assert paths.default_mnist_dir() == shipped  # a fresh clone, nothing downloaded
    downloaded = _fake_mnist(tmp_path / "home" / "mnist")
    assert paths.default_mnist_dir() == downloaded
    shared = (tmp_path / "shared" / "data" / "mnist")
    shared.mkdir(parents=True)
    assert paths.default_mnist_dir() == shared
    monkeypatch.setenv(paths.MNIST_ENV, str(tmp_path / "mine"))
    assert paths.default_mnist_dir() == tmp_path / "mine"


def test_the_shipped_set_is_the_whole_test_set_and_a_verified_training_slice(tmp_path):
    shipped = paths.shipped_mnist_dir()
    assert paths.has_mnist(shipped) and (shipped / "README.md").is_file()
    assert "Attribution-Share Alike 3.0" in (shipped / "README.md").read_text(encoding="utf-8")
    assert load_mnist(shipped, "test").images.shape == (10_000, 28, 28)  # md5-verified, the originals
    train = load_mnist(shipped, "train")
    assert train.images.shape == (5_000, 28, 28) and set(train.labels.tolist()) == set(range(10))
    assert not paths.has_mnist(tmp_path)
    shutil.copytree(shipped, tmp_path / "copy")
    assert paths.has_mnist(tmp_path / "copy")


def test_a_checkouts_own_resource_folder_wins_over_the_installed_package(tmp_path, monkeypatch):
    # An editable install made from another worktree maps digitpad.resources there; run from this
    # checkout, the Retrain dialog trained on that worktree's MNIST slice (the folder fell through).
    elsewhere = tmp_path / "other-checkout" / "resources"
    (elsewhere / "mnist").mkdir(parents=True)
    monkeypatch.setattr(importlib.resources, "files", lambda package: elsewhere)
    assert paths.resource_path("mnist") == paths._REPO_ROOT / "resources" / "mnist"
    assert paths.resource_path("mnist").is_dir()
