"""The one retraining pipeline (CLI and GUI): limits, mixing, before/after, one set of metric names."""

import pytest
import torch

from digitpad.training.datasets import TensorDataset
from digitpad.network.architecture import NEGATIVE_LABEL
from digitpad.training.config import TrainingConfig
from digitpad.training.progress import RunProgress
from digitpad.training.run import (
    RetrainRequest,
    load_run_data,
    one_class_warning,
    run_training,
)

METRIC_NAMES = {"test_error", "test_errors", "test_total", "train_loss", "epochs", "seconds", "history",
                "train_images", "fine_tuned"}
BEFORE_NAMES = {"test_errors_before"}
EXTRA_NAMES = {"extra_samples", "extra_repeat", "extra_checksum", "extra_errors_before", "extra_errors_after"}


@pytest.fixture
def five_sevens():
    return TensorDataset(torch.full((5, 1, 32, 32), -0.1), torch.full((5,), 7), "sevens")


def test_the_limit_is_applied_once_and_never_cuts_the_users_samples(mnist_dir, five_sevens):
    config = TrainingConfig(train_limit=120, test_limit=30)
    data = load_run_data(RetrainRequest(config, mnist_dir, extra=five_sevens))
    assert data.mnist_images == 120 and len(data.test_set) == 30
    assert len(data.train_set) == 120 + 5 * data.extra_repeat
    assert int((data.train_set.labels[120:] == 7).sum()) == 5 * data.extra_repeat
    assert data.describe() == f"120 MNIST images + 5 of your samples (×{data.extra_repeat})"


def test_bad_cuts_come_after_the_limited_mnist_images_as_rubbish(mnist_dir):
    config = TrainingConfig(train_limit=120, test_limit=30, bad_cuts=25)
    data = load_run_data(RetrainRequest(config, mnist_dir))
    assert data.mnist_images == 120 and len(data.train_set) == 145
    assert (data.train_set.labels[120:] == NEGATIVE_LABEL).all()
    assert (data.train_set.labels[:120] >= 0).all()
    assert data.describe() == "120 MNIST images + 25 bad cuts"


def test_a_fine_tune_keeps_the_models_rubbish_constant(mnist_dir):
    from digitpad.network.lenet5 import LeNet5

    j40 = LeNet5(rubbish_j=40.0).state_dict()
    config = TrainingConfig(epochs=1, train_limit=64, test_limit=32, min_steps=2, distort=False)
    assert config.rubbish_j == 20.0
    request = RetrainRequest(config, mnist_dir, j40, 40.0, fine_tune=True)
    assert request.config.rubbish_j == 40.0
    outcome = run_training(request, load_run_data(request))
    assert outcome.result.model.rubbish_j == 40.0
    # A new network (not a fine-tune) takes the config's j, whatever the model in use has.
    assert RetrainRequest(config, mnist_dir, j40, 40.0, fine_tune=False).config.rubbish_j == 20.0


@pytest.mark.slow
def test_two_stages_fine_tune_the_first_and_number_the_epochs_over_both(mnist_dir):
    from digitpad.network.lenet5 import LeNet5
    from digitpad.training.run import run_two_stages

    current = LeNet5().state_dict()  # the model in use: untrained, so "before" is near chance
    first = TrainingConfig(epochs=2, train_limit=300, test_limit=100, min_steps=60, distort=False, seed=3)
    second = TrainingConfig(epochs=1, train_limit=200, test_limit=100, min_steps=20, distort=False, seed=3,
                            negatives=40, rubbish_j=40.0, learning_rate=3e-4)
    epochs, stages = [], []
    outcome = run_two_stages(RetrainRequest(first, mnist_dir, current, 20.0), second,
                             progress=RunProgress(on_stage=stages.append,
                                                  on_epoch=lambda e: epochs.append((e.epoch, e.epochs))))
    assert epochs == [(1, 3), (2, 3), (3, 3)]
    assert [s for s in stages if "Evaluating" in s] == ["Evaluating the current model…"]  # not stage 1's result
    assert outcome.result.model.rubbish_j == 40.0 and outcome.result.config == second
    assert outcome.old_test_error > 0.5  # compared with the model in use, not with stage 1's
    assert outcome.metrics.first_stage.epochs == 2 and outcome.metrics.train_images == 200
    assert outcome.metrics.first_stage.test_error < outcome.old_test_error
    assert outcome.metrics.fine_tuned is False and outcome.metrics.negatives == 40
    assert outcome.metrics.epochs == 3  # both stages (Weights History shows it)


def test_two_stages_refuse_a_second_stage_no_run_can_use_before_training(mnist_dir):
    from digitpad.training.config import VALIDATION_NEGATIVES_SEED
    from digitpad.training.run import run_two_stages

    first = TrainingConfig(epochs=1, train_limit=64, test_limit=32, distort=False)
    second = TrainingConfig(epochs=1, negatives=10, seed=VALIDATION_NEGATIVES_SEED)
    epochs = []
    with pytest.raises(ValueError, match="held-out negatives"):
        run_two_stages(RetrainRequest(first, mnist_dir), second, progress=RunProgress(on_epoch=epochs.append))
    assert epochs == []  # refused before the first stage trained


@pytest.mark.slow
def test_a_run_records_one_set_of_metric_names(mnist_dir, five_sevens):
    config = TrainingConfig(epochs=1, train_limit=200, test_limit=50, distort=False)
    plain = run_training(request := RetrainRequest(config, mnist_dir), load_run_data(request))
    assert set(plain.metrics.to_dict()) == METRIC_NAMES  # the names its checkpoint keeps
    assert plain.metrics.train_images == 200 and plain.metrics.test_total == 50
    assert plain.old_test_error is None and plain.metrics.fine_tuned is False

    current = {k: v.clone() for k, v in plain.result.model.state_dict().items()}
    stages = []
    tuned_request = RetrainRequest(config, mnist_dir, current, None, fine_tune=True, extra=five_sevens,
                                   initial_weights="old.pt")
    tuned = run_training(tuned_request, load_run_data(tuned_request), RunProgress(on_stage=stages.append))
    assert set(tuned.metrics.to_dict()) == METRIC_NAMES | BEFORE_NAMES | EXTRA_NAMES | {"initial_weights"}
    assert tuned.metrics.test_errors_before == plain.metrics.test_errors  # the same model, same test set
    assert tuned.old_test_error == pytest.approx(plain.new_test_error)
    assert tuned.metrics.fine_tuned is True and tuned.extra_total == 5
    assert stages[0] == "Evaluating the current model…" and stages[1].startswith("Training on 200 MNIST images + 5")


def test_a_model_that_answers_one_digit_for_most_images_is_called_out():
    assert "answers 9 for 90% of the test images" in one_class_warning(torch.tensor([9] * 9 + [3]))
    assert one_class_warning(torch.arange(10).repeat(5)) is None
    assert one_class_warning(torch.tensor([1] * 5 + [2] * 5)) is None  # exactly half is not "more than half"


def _pen_file(path, count, writer=1):
    """A pen-digits file of `count` one-stroke digits by `writer` (a training writer)."""
    lines = []
    for n in range(count):
        lines += [f'.SEGMENT DIGIT {n} ? "{n % 10}"', f".COMMENT {n % 10} {writer} {n}", ".PEN_DOWN",
                  f" {100 + n % 50} 400", " 300 420", f" 200 {100 + n % 30}", ".PEN_UP"]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path


def test_pen_strokes_are_mixed_at_their_share_and_recorded(mnist_dir, tmp_path):
    from digitpad.training.pen_split import HELD_OUT_WRITERS

    pen_file = _pen_file(tmp_path / "pen.txt", 40)
    held_out_writer = min(HELD_OUT_WRITERS)
    with open(pen_file, "a", encoding="latin-1") as more:  # a held-out writer's digit is never trained on
        more.write(f'.SEGMENT DIGIT 99 ? "8"\n.COMMENT 8 {held_out_writer} 1\n.PEN_DOWN\n 1 1\n 400 400\n.PEN_UP\n')
    config = TrainingConfig(train_limit=700, test_limit=30, pen_share=0.3, pen_copies=3, epochs=1, min_steps=2,
                            distort=False)
    request = RetrainRequest(config, mnist_dir, pen_file=pen_file)
    data = load_run_data(request)
    assert len(data.pen) == 40 * 3 and set(data.pen.labels.tolist()) == set(range(10))
    pen_images = len(data.train_set) - 700
    assert pen_images == len(data.pen) * data.pen_repeat and abs(pen_images / len(data.train_set) - 0.3) < 0.05
    assert data.describe() == f"700 MNIST images + 120 renders of real pen digits (×{data.pen_repeat})"
    outcome = run_training(request, data)
    assert outcome.metrics.pen_digits == 120 and outcome.metrics.pen_file == str(pen_file)
    assert outcome.metrics.pen_repeat == data.pen_repeat


def test_a_small_run_renders_only_the_pen_digits_it_needs(mnist_dir, tmp_path):
    pen_file = _pen_file(tmp_path / "pen.txt", 400)
    config = TrainingConfig(train_limit=70, test_limit=30, pen_share=0.3, pen_copies=2)
    data = load_run_data(RetrainRequest(config, mnist_dir, pen_file=pen_file))
    assert len(data.pen) == 30 and data.pen_repeat == 1  # 30 of 100, not 800 renders beside 70 images
    again = load_run_data(RetrainRequest(config, mnist_dir, pen_file=pen_file))
    assert torch.equal(again.pen.inputs, data.pen.inputs)  # the same digits for the same seed


def test_without_the_pen_file_the_run_trains_on_mnist_and_says_so(mnist_dir, tmp_path, monkeypatch):
    from digitpad import paths

    monkeypatch.delenv(paths.PENDIGITS_ENV, raising=False)
    # A checkout with no ../shared beside it, its own resources/ still there (the installed
    # digitpad.resources may point at another checkout, or at none).
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").touch()
    (checkout / "resources").symlink_to(paths._REPO_ROOT / "resources")
    monkeypatch.setattr(paths, "_REPO_ROOT", checkout)
    config = TrainingConfig(train_limit=64, test_limit=32, pen_share=0.3, epochs=1, min_steps=2, distort=False)
    request = RetrainRequest(config, mnist_dir)
    data = load_run_data(request)
    assert data.pen is None and len(data.train_set) == 64 and "DIGITPAD_PENDIGITS" in data.describe()
    assert run_training(request, data).metrics.pen_missing is True


@pytest.mark.slow
def test_keep_best_epoch_chooses_on_the_training_images_after_the_limit(mnist_dir):
    from digitpad.storage.run_metrics import RunMetrics
    from digitpad.training.datasets import mnist_dataset
    from digitpad.training.loop import evaluate

    config = TrainingConfig(epochs=2, train_limit=200, test_limit=50, distort=False, min_steps=2, keep_best_epoch=True)
    data = load_run_data(request := RetrainRequest(config, mnist_dir))
    everything = mnist_dataset(mnist_dir, "train")
    assert torch.equal(data.validation_set.inputs, everything.inputs[200:5200])  # never trained on, bounded
    assert torch.equal(data.train_set.inputs, everything.inputs[:200])
    outcome = run_training(request, data)
    metrics = outcome.metrics
    assert metrics.kept_epoch in (1, 2) and metrics.validation_total == min(5000, len(everything) - 200)
    assert metrics.validation_errors == evaluate(outcome.result.model, data.validation_set)[0]
    assert metrics.validation_unseen is True  # a new network: nothing before this run saw them
    assert RunMetrics.from_dict(metrics.to_dict()).kept_epoch == metrics.kept_epoch  # the checkpoint keeps it

    # A fine-tune of weights whose own history is not known: not called unseen.
    start = {k: v.clone() for k, v in outcome.result.model.state_dict().items()}
    tuned = run_training(tuned_request := RetrainRequest(config, mnist_dir, start, None, fine_tune=True),
                         load_run_data(tuned_request))
    assert tuned.metrics.validation_unseen is False
    assert RunMetrics.from_dict(tuned.metrics.to_dict()).validation_unseen is False


def test_keep_best_epoch_without_a_limit_is_one_line_before_any_loading(tmp_path, capsys):
    from digitpad.cli.train import main

    code = main(["--keep-best-epoch", "--epochs", "1", "--data", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "w.pt")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "train_limit" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "w.pt").exists()
