"""The training engine: SDLM's Hessian, determinism, progress, cancel, distortions, learning."""

import math

import pytest
import torch
from torch.func import functional_call, jacrev

from digitpad.network.architecture import NEGATIVE_LABEL
from digitpad.training.datasets import TensorDataset, mnist_dataset, negatives_dataset
from digitpad.network.lenet5 import LeNet5, squash
from digitpad.network.sdlm import SDLM, diagonal_hessian
from digitpad.errors import TrainingCancelled
from digitpad.training.config import sdlm_eta, TrainingConfig
from digitpad.training.loop import evaluate, random_affine, train, warmup_cosine
from digitpad.training.progress import RunProgress
from digitpad.training.snapshot_recorder import SnapshotRecorder
from digitpad.training.config import VALIDATION_NEGATIVES_SEED

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_small(mnist_dir):
    train_set = mnist_dataset(mnist_dir, "test")  # the 10k test file loads fastest; split it
    return (TensorDataset(train_set.inputs[:3000], train_set.labels[:3000], "a"),
            TensorDataset(train_set.inputs[9000:], train_set.labels[9000:], "b"))


def first(data_sets, train_count, test_count):
    """The first images of the (train, test) pair: train() uses all it is given."""
    (train_set, test_set) = data_sets
    return (TensorDataset(train_set.inputs[:train_count], train_set.labels[:train_count], "a"),
            TensorDataset(test_set.inputs[:test_count], test_set.labels[:test_count], "b"))


def _exact_gauss_newton_diagonal(model, x, names):
    """2 · Σ_outputs (∂F6_j/∂w)², averaged over patterns, from the full Jacobian."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def model_f6(p, s4_sample):
        c5 = squash(functional_call(model.c5, {"weight": p["c5.weight"], "bias": p["c5.bias"]}, (s4_sample,)))
        return squash(functional_call(model.f6, {"weight": p["f6.weight"], "bias": p["f6.bias"]}, (c5.flatten(1),)))

    result = {n: torch.zeros_like(params[n]) for n in names}
    with torch.no_grad():
        s4 = squash(model.s4(squash(model.c3(squash(model.s2(squash(model.c1(x))))))))
    for i in range(x.shape[0]):
        jac = jacrev(model_f6)(params, s4[i:i + 1])
        for n in names:
            result[n] += 2 * jac[n].pow(2).sum(dim=(0, 1)) / x.shape[0]
    return result


def test_sdlm_hessian_equals_exact_gauss_newton_where_the_paper_is_exact():
    # For F6 and C5 (no weight sharing below the output, one position per unit) the paper's
    # diagonal back-propagation of second derivatives is exactly the Gauss-Newton diagonal.
    torch.manual_seed(0)
    model = LeNet5()
    x = torch.randn(5, 1, 32, 32)
    ours = diagonal_hessian(model, x)
    exact = _exact_gauss_newton_diagonal(model, x, ["f6.weight", "f6.bias", "c5.weight", "c5.bias"])
    for name, value in exact.items():
        torch.testing.assert_close(ours[name], value, rtol=1e-4, atol=1e-9)


def test_sdlm_hessian_is_positive_for_every_parameter():
    torch.manual_seed(1)
    model = LeNet5()
    hessian = diagonal_hessian(model, torch.randn(20, 1, 32, 32))
    assert set(hessian) == {n for n, _ in model.named_parameters()}
    for name, h in hessian.items():
        assert h.shape == dict(model.named_parameters())[name].shape
        assert (h >= 0).all() and h.sum() > 0, name


def test_sdlm_step_is_eta_over_mu_plus_h_times_gradient():
    weight = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    optimizer = SDLM([("w", weight)], lr=0.1, mu=0.02)
    optimizer.set_hessian({"w": torch.tensor([0.0, 0.98])})
    weight.grad = torch.tensor([1.0, 1.0])
    optimizer.step()
    assert weight.detach().tolist() == pytest.approx([1.0 - 0.1 / 0.02, 2.0 - 0.1 / 1.0])


def test_sdlm_eta_follows_the_papers_schedule():
    assert [sdlm_eta(p) for p in (1, 2, 3, 5, 6, 8, 9, 12, 13, 20)] == \
           [5e-4, 5e-4, 2e-4, 2e-4, 1e-4, 1e-4, 5e-5, 5e-5, 1e-5, 1e-5]


def test_distortion_with_zero_ranges_is_the_identity_and_keeps_the_background(mnist_small):
    x = mnist_small[0].inputs[:8]
    still = TrainingConfig(max_shift=0, max_scale=0, max_squeeze=0, max_shear=0)
    generator = torch.Generator().manual_seed(0)
    torch.testing.assert_close(random_affine(x, still, generator), x, atol=1e-5, rtol=0)
    moved = random_affine(x, TrainingConfig(), generator)
    assert moved.shape == x.shape
    assert not torch.allclose(moved, x)
    assert moved.min() >= -0.1 - 1e-5 and moved.max() <= 1.175 + 1e-5
    assert torch.allclose(moved[:, :, 0, :], torch.tensor(-0.1))  # the border stays paper


@pytest.mark.slow
def test_training_is_deterministic_with_a_seed(mnist_small):
    data = first(mnist_small, 500, 200)
    config = TrainingConfig(epochs=1, distort=True, seed=7)
    a = train(config, *data, CPU)
    torch.manual_seed(123)  # the global random state plays no part
    b = train(config, *data, CPU)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key
    c = train(TrainingConfig(epochs=1, distort=True, seed=8), *data, CPU)
    assert not torch.equal(c.model.f6.weight, a.model.f6.weight)


@pytest.mark.slow
def test_training_leaves_the_callers_global_random_state_alone(mnist_small):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    train(TrainingConfig(epochs=1, seed=0, distort=True), *first(mnist_small, 64, 10), CPU)
    assert torch.equal(torch.rand(3), expected)


def test_progress_events_arrive_for_batches_and_epochs(mnist_small):
    batches, epochs = [], []
    train(TrainingConfig(epochs=2, batch_size=64, min_steps=0, distort=False), *first(mnist_small, 640, 100), CPU,
          progress=RunProgress(on_batch=batches.append, on_epoch=epochs.append, batch_every=5))
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(0 <= e.test_error <= 1 and e.test_total == 100 for e in epochs)
    assert [(b.epoch, b.batch) for b in batches] == [(1, 5), (1, 10), (2, 5), (2, 10)]
    assert all(b.batches == 10 and b.loss > 0 and b.samples_per_second > 0 for b in batches)


def test_cancel_stops_training_and_raises(mnist_small):
    calls = []

    def cancel_on_third_poll():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(TrainingCancelled):
        train(TrainingConfig(epochs=5), *mnist_small, CPU, progress=RunProgress(should_cancel=cancel_on_third_poll))
    assert len(calls) == 3


@pytest.mark.slow
def test_initial_state_is_used_and_not_modified(mnist_small):
    torch.manual_seed(0)
    start = LeNet5().state_dict()
    snapshot = {k: v.clone() for k, v in start.items()}
    result = train(TrainingConfig(epochs=1), *first(mnist_small, 200, 50), CPU,
                   initial_state=start)
    assert all(torch.equal(start[k], snapshot[k]) for k in start)
    assert not torch.equal(result.model.c1.weight.detach(), start["c1.weight"])


@pytest.mark.parametrize(("warmup_patterns", "second_pass_scale"), [(60_000, 0.2), (200, 2.5)])
@pytest.mark.slow
def test_sdlm_warm_up_is_counted_in_patterns(mnist_small, warmup_patterns, second_pass_scale):
    # 200 images a pass: the second pass starts after 200 patterns, still inside a 60,000-pattern
    # warm-up, so it keeps the damped η; with a 200-pattern warm-up it gets the full scale.
    config = TrainingConfig(epochs=2, optimizer="sdlm", distort=False,
                            sdlm_eta_scale=2.5, sdlm_warmup_scale=0.2, sdlm_warmup_patterns=warmup_patterns)
    history = train(config, *first(mnist_small, 200, 20), CPU).history
    assert history[0].learning_rate == pytest.approx(sdlm_eta(1) * 0.2)
    assert history[1].learning_rate == pytest.approx(sdlm_eta(2) * second_pass_scale)


@pytest.mark.parametrize("optimizer", ["adam", "sdlm"])
@pytest.mark.slow
def test_a_few_short_epochs_learn_digits(mnist_small, optimizer):
    train_set, test_set = mnist_small
    config = TrainingConfig(epochs=3, batch_size=32, distort=False) if optimizer == "adam" else \
        TrainingConfig(epochs=2, optimizer="sdlm", distort=False)
    result = train(config, train_set, test_set, CPU)
    errors, _ = evaluate(result.model, test_set)
    # 3,000 images a few times: far from the paper's figure, far better than chance (90 %)
    assert errors / len(test_set) < 0.3
    assert result.history[-1].test_errors == errors


def test_unknown_optimizer_and_loss_are_refused(mnist_small):
    with pytest.raises(ValueError, match="optimizer"):
        train(TrainingConfig(optimizer="sgd"), *mnist_small, CPU)
    with pytest.raises(ValueError, match="loss"):
        train(TrainingConfig(loss="hinge"), *first(mnist_small, 10, 10), CPU)
    with pytest.raises(ValueError, match="epochs"):
        train(TrainingConfig(epochs=0), *first(mnist_small, 10, 10), CPU)


@pytest.mark.slow
def test_negatives_are_mixed_in_and_only_digits_count_as_errors(mnist_small):
    train_set, test_set = first(mnist_small, 300, 200)
    config = TrainingConfig(epochs=1, batch_size=32, negatives=100, seed=4)
    seen = []
    result = train(config, train_set, test_set, CPU, progress=RunProgress(on_batch=seen.append, batch_every=1))
    assert seen[-1].batches == math.ceil(400 / config.step_batch_size(400))  # the negatives were in the epoch
    last = result.history[-1]
    assert 0.0 <= last.negatives_rejected <= 1.0 and 0.0 <= last.digits_rejected <= 1.0
    # Errors are counted on digits only: a data set with negatives has as many errors as its digits.
    mixed = TensorDataset(torch.cat([test_set.inputs, negatives_dataset(50, 9).inputs]),
                          torch.cat([test_set.labels, torch.full((50,), NEGATIVE_LABEL)]))
    assert evaluate(result.model, mixed)[0] == evaluate(result.model, test_set)[0]
    assert train(config, train_set, test_set, CPU).history[-1].train_loss == last.train_loss  # repeatable


def test_negatives_need_eq_9_and_keep_the_held_out_seeds_out(mnist_small):
    data = first(mnist_small, 10, 10)
    with pytest.raises(ValueError, match="rubbish"):
        train(TrainingConfig(negatives=10, loss="mse"), *data, CPU)
    with pytest.raises(ValueError, match="held-out"):
        train(TrainingConfig(negatives=10, seed=VALIDATION_NEGATIVES_SEED), *data, CPU)


@pytest.mark.slow
def test_one_short_epoch_on_2000_images_learns_digits(mnist_small):
    # The default recipe, as `train.py --epochs 1 --limit 2000` runs it: it used to end as a
    # one-class model (89.9 % error); enough steps and a held peak rate get it going.
    train_set, test_set = mnist_small
    result = train(TrainingConfig(epochs=1), *first(mnist_small, 2000, len(test_set)), CPU)
    _, predictions = evaluate(result.model, test_set)
    assert result.test_error < 0.3
    assert torch.bincount(predictions, minlength=10).max() < 0.3 * len(test_set)


def test_short_runs_take_enough_steps_and_full_runs_keep_their_batches():
    config = TrainingConfig(epochs=1)
    assert config.step_batch_size(2000) == 4          # 500 steps
    assert config.step_batch_size(16_000) == 32
    assert TrainingConfig(epochs=40).step_batch_size(60_000) == 64
    assert TrainingConfig(epochs=1, optimizer="sdlm").step_batch_size(100) == TrainingConfig().sdlm_batch_size
    assert TrainingConfig(epochs=1, batch_size=2).step_batch_size(10) == 2  # never above what was asked


def test_the_learning_rate_holds_its_peak_in_short_runs_only():
    short = warmup_cosine(500, hold_steps=300)
    assert short(25) == short(299) == 1.0 and 0 < short(400) < 1 and short(500) == pytest.approx(0)
    full, plain = warmup_cosine(37_500, hold_steps=300), warmup_cosine(37_500)
    assert [full(s) for s in (0, 1000, 1875, 5000, 30_000)] == [plain(s) for s in (0, 1000, 1875, 5000, 30_000)]


class _ZeroWeightsInEpoch3(SnapshotRecorder):
    """A time-lapse recorder that also wipes the weights at the first step of epoch 3: that
    epoch's weights are then far worse on the validation images than epoch 2's."""

    def start(self, total_steps, steps_per_epoch):
        super().start(total_steps, steps_per_epoch)
        self.steps_per_epoch = steps_per_epoch
        self.wipe = 2 * steps_per_epoch + 1

    def wants(self, step):
        return step == self.wipe or super().wants(step)

    def take(self, step, model, loss):
        super().take(step, model, loss)
        if step == self.wipe:
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.zero_()


def test_keep_best_epoch_ends_with_the_weights_that_did_best_on_validation_not_the_last(mnist_small):
    train_set, test_set = first(mnist_small, 3000, 300)
    validation = TensorDataset(mnist_small[1].inputs[300:], mnist_small[1].labels[300:], "v")
    config = TrainingConfig(epochs=3, batch_size=32, distort=False, weight_averaging=False,
                            keep_best_epoch=True, train_limit=3000)
    recorder = _ZeroWeightsInEpoch3(points=10)
    result = train(config, train_set, test_set, CPU, recorder=recorder, validation_set=validation)
    by_epoch = [e.validation_errors for e in result.history]
    assert by_epoch[2] > 2 * min(by_epoch[:2])  # the wiped epoch is the worst
    assert result.kept_epoch in (1, 2)
    # The model really is the kept epoch's: scored again, independently, on both sets.
    assert evaluate(result.model, validation)[0] == by_epoch[result.kept_epoch - 1] == min(by_epoch)
    kept = result.history[result.kept_epoch - 1]
    assert evaluate(result.model, test_set)[0] == result.final.test_errors == kept.test_errors
    assert result.test_error == result.final.test_error != result.history[-1].test_error
    # The time-lapse ends with the kept weights: nothing after them, and they are its last frame.
    snapshots = recorder.snapshots()
    assert snapshots.steps[-1] == result.kept_epoch * recorder.steps_per_epoch
    assert snapshots.matches(result.model.state_dict())
    assert [h["epoch"] for h in snapshots.history] == list(range(1, result.kept_epoch + 1))


def test_keep_best_epoch_needs_images_it_does_not_train_on(mnist_small):
    with pytest.raises(ValueError, match="train_limit"):
        TrainingConfig(keep_best_epoch=True).validate()
    with pytest.raises(ValueError, match="validation images"):
        train(TrainingConfig(epochs=1, keep_best_epoch=True, train_limit=100), *first(mnist_small, 100, 50), CPU)


def test_training_treats_subnormal_floats_as_zero_and_leaves_the_callers_mode(mnist_small):
    # Subnormals (gradients of examples already learnt) made the CPU's convolution backward pass
    # several times slower as training went on (benchmarks/subnormals.py).
    tiny = torch.full((8,), 1e-39)
    seen = []
    train(TrainingConfig(epochs=1, distort=False), *first(mnist_small, 64, 32), CPU,
          progress=RunProgress(on_batch=lambda p: seen.append(int((tiny * 1.0).count_nonzero())), batch_every=1))
    assert seen and set(seen) == {0}  # flushed while training
    assert int((tiny * 1.0).count_nonzero()) == 8  # the caller has IEEE's gradual underflow again


def test_a_training_run_inside_a_command_that_flushes_leaves_it_flushing(mnist_small):
    # train.py holds the mode around train(), whose own block ended it for the rest of the
    # command (a two-stage recipe's evaluation and second stage on the command's thread).
    from digitpad.training.loop import subnormals_as_zero

    tiny = torch.full((8,), 1e-39)
    with subnormals_as_zero():
        train(TrainingConfig(epochs=1, distort=False), *first(mnist_small, 64, 32), CPU)
        assert int((tiny * 1.0).count_nonzero()) == 0
    assert int((tiny * 1.0).count_nonzero()) == 8


def test_a_thread_that_only_trains_flushes_subnormals_in_torchs_workers_too():
    import threading

    from digitpad.training.loop import subnormals_as_zero

    tiny = torch.full((4_000_000,), 1e-39)  # big enough that torch splits the product among its threads
    counts = []

    def trainer():  # a fresh thread, as train.py's process and the Retrain dialog's job are
        with subnormals_as_zero():
            counts.append(int((tiny * 1.0).count_nonzero()))

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        thread = threading.Thread(target=trainer)
        thread.start()
        thread.join()
    finally:
        torch.set_num_threads(threads)
    assert counts == [0]
