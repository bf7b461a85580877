"""The CUDA training path: runs where a CUDA device is present, skipped (saying why) where not."""

import warnings

import pytest
import torch

from digitpad.training.datasets import TensorDataset, mnist_dataset
from digitpad.training.presets import PRESETS
from digitpad.training.loop import evaluate, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device here: the CUDA training path runs only where one is")
CUDA = torch.device("cuda")


@pytest.fixture(scope="module")
def small_mnist(mnist_dir):
    data = mnist_dataset(mnist_dir, "test")
    return (TensorDataset(data.inputs[:3000], data.labels[:3000], "a"),
            TensorDataset(data.inputs[9000:], data.labels[9000:], "b"))


def host_syncs(config, train_set, test_set) -> int:
    """How many times a training run makes the host wait for the GPU (torch's sync debug mode)."""
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train(config, train_set, test_set, CUDA)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


@pytest.mark.slow
def test_the_quick_preset_learns_on_cuda_with_data_and_model_on_the_device(small_mnist):
    train_set, test_set = small_mnist
    result = train(PRESETS["quick"].config(epochs=2), train_set, test_set, CUDA)
    assert next(result.model.parameters()).device.type == "cuda"
    assert result.test_error < 0.5  # chance is 0.9
    errors, _ = evaluate(result.model, test_set.to(CUDA))
    assert errors == result.history[-1].test_errors


@pytest.mark.slow
def test_no_host_sync_per_training_step_on_cuda(small_mnist):
    # The syncs of a run (loading, the test after each epoch) must not grow with the number of
    # steps: one epoch of 4× the batches makes as many as one epoch of the fewer.
    train_set, test_set = small_mnist
    config = PRESETS["quick"].config(epochs=1, min_steps=0, batch_size=64)
    host_syncs(config, TensorDataset(train_set.inputs[:640], train_set.labels[:640]), test_set)  # warm-up:
    # caches built once (the S2/S4 pair-sum matrices, CUDA kernels) are not the hot loop's syncs
    few = host_syncs(config, TensorDataset(train_set.inputs[:640], train_set.labels[:640]), test_set)
    many = host_syncs(config, TensorDataset(train_set.inputs[:2560], train_set.labels[:2560]), test_set)
    assert many == few
