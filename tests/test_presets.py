"""Training presets: valid configs, what the CLI makes of them, and a tiny run of each that learns."""

import argparse
import dataclasses

import pytest
import torch

from digitpad.training.datasets import TensorDataset, extra_repeat, mix_datasets, mnist_dataset
from digitpad.training.presets import PRESETS, get_preset
from digitpad.cli.train import add_training_arguments, config_from_arguments, second_stage_from_arguments
from digitpad.training.loop import distort, evaluate, random_shift, train
from digitpad.training.config import TrainingConfig

CPU = torch.device("cpu")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_training_arguments(parser)
    return parser.parse_args([*argv, "--out", "x.pt"])


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_is_a_valid_config_with_words_for_people(name):
    preset = PRESETS[name]
    assert preset.name == name and get_preset(name) is preset
    fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    assert set(preset.settings) <= fields, "a setting that is not a TrainingConfig field"
    config = preset.config()
    config.validate()
    for key, value in preset.settings.items():
        assert getattr(config, key) == value
    assert preset.title and preset.description and "\n" not in preset.description
    assert preset.expected_seconds > 0 and preset.duration_text().startswith("about ")


def test_the_dialogs_three_choices_and_what_they_need():
    assert list(PRESETS) == ["quick", "fine-tune", "full"]
    assert [p.fine_tune for p in PRESETS.values()] == [False, True, False]
    assert PRESETS["fine-tune"].uses_samples
    with pytest.raises(ValueError, match="unknown preset 'fast': use one of quick, fine-tune, full"):
        get_preset("fast")


def test_overrides_win_over_the_preset_and_leave_the_rest():
    config = PRESETS["quick"].config(epochs=1, seed=7)
    assert (config.epochs, config.seed) == (1, 7)
    assert config.learning_rate == PRESETS["quick"].settings["learning_rate"]
    with pytest.raises(TypeError):
        PRESETS["full"].config(no_such_field=1)


def test_full_is_the_two_commands_of_its_recipe():
    # README, Training: the digits and pen strokes, then a fine-tune that teaches the rubbish class.
    pen = ("--pen-share", "0.3")
    digits = config_from_arguments(parse("--epochs", "40", "--distort", "--seed", "1", *pen))
    rubbish = config_from_arguments(parse("--negatives", "11000", "--limit", "55000", "--rubbish-j", "40",
                                          "--epochs", "12", "--lr", "3e-4", "--seed", "1", *pen))
    digits, rubbish = (dataclasses.replace(c, pen_copies=6) for c in (digits, rubbish))
    args = parse("--preset", "full")
    first = config_from_arguments(args)
    assert first == digits
    assert second_stage_from_arguments(args, first) == rubbish
    # Options apply to both stages, except --epochs, which is the first stage's.
    args = parse("--preset", "full", "--seed", "5", "--epochs", "3")
    first = config_from_arguments(args)
    second = second_stage_from_arguments(args, first)
    assert (first.epochs, first.seed, second.epochs, second.seed) == (3, 5, 12, 5)
    assert second_stage_from_arguments(parse("--preset", "quick"), first) is None
    assert second_stage_from_arguments(parse(), first) is None


def test_full_refuses_starting_weights_in_one_line(capsys):
    from digitpad.cli.train import main

    assert main(["--preset", "full", "--init", "w.pt", "--out", "x.pt"]) == 2
    assert capsys.readouterr().err == ("error: --preset full trains a new network in two stages: "
                                       "--init does not apply\n")


def test_command_line_options_override_the_preset_and_without_one_the_defaults_hold():
    quick = config_from_arguments(parse("--preset", "quick", "--epochs", "3", "--seed", "5", "--no-averaging"))
    assert (quick.epochs, quick.seed, quick.weight_averaging) == (3, 5, False)
    assert quick.learning_rate == PRESETS["quick"].settings["learning_rate"]
    assert quick.shift_only_fraction == PRESETS["quick"].settings["shift_only_fraction"]
    assert config_from_arguments(parse()) == TrainingConfig()
    plain = config_from_arguments(parse("--no-distort", "--batch-size", "32", "--lr", "0.001"))
    assert (plain.distort, plain.batch_size, plain.learning_rate) == (False, 32, 0.001)
    sdlm = config_from_arguments(parse("--optimizer", "sdlm", "--batch-size", "4"))
    assert (sdlm.sdlm_batch_size, sdlm.batch_size) == (4, TrainingConfig().batch_size)


def test_fine_tune_preset_without_weights_is_refused_in_one_line(capsys):
    from digitpad.cli.train import main

    assert main(["--preset", "fine-tune", "--out", "x.pt"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --preset fine-tune starts from existing weights: give them with --init WEIGHTS\n"


def test_random_shift_moves_whole_pixels_and_fills_with_background():
    image = torch.full((1, 1, 32, 32), -0.1)
    image[0, 0, 10, 12] = 1.175
    generator = torch.Generator().manual_seed(0)
    shifted = random_shift(image.repeat(200, 1, 1, 1), 2, generator)
    assert shifted.shape == (200, 1, 32, 32)
    ink = (shifted == 1.175).nonzero()[:, 2:]
    assert len(ink) == 200  # the one ink pixel survives in every copy, nothing is blurred
    offsets = {(int(r) - 10, int(c) - 12) for r, c in ink}
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}  # every shift in ±2 occurs
    assert ((shifted == -0.1) | (shifted == 1.175)).all()


def test_distort_shifts_the_share_the_config_says_and_is_repeatable():
    x = torch.rand(10, 1, 32, 32)
    config = TrainingConfig(shift_only_fraction=0.3)
    a = distort(x, config, torch.Generator().manual_seed(3))
    b = distort(x, config, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    # The last 3 images are whole-pixel shifts: every value is one of the input's (or background).
    for i in range(7, 10):
        assert torch.isin(a[i], torch.cat([x[i].flatten(), torch.tensor([-0.1])])).all()
    # The others went through bilinear resampling, which makes new values.
    assert not torch.isin(a[0], torch.cat([x[0].flatten(), torch.tensor([-0.1])])).all()


@pytest.fixture(scope="module")
def small_mnist(mnist_dir):
    data = mnist_dataset(mnist_dir, "test")  # the 10k file loads fastest; split it
    return (TensorDataset(data.inputs[:3000], data.labels[:3000], "a"),
            TensorDataset(data.inputs[9000:], data.labels[9000:], "b"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["quick", "full"])
def test_a_tiny_run_of_each_from_scratch_preset_learns(small_mnist, name):
    # The preset's recipe, only shorter: 2 epochs of 3,000 images (the batch shrinks to make
    # TrainingConfig.min_steps steps).
    train_set, test_set = small_mnist
    config = PRESETS[name].config(epochs=2)
    result = train(config, train_set, test_set, CPU)
    assert result.history[-1].test_total == len(test_set)  # the last epoch always tests on all of it
    assert result.test_error < 0.5  # chance is 0.9


@pytest.mark.slow
def test_a_tiny_fine_tune_learns_new_samples_and_keeps_mnist(small_mnist):
    from digitpad.storage.checkpoints import load_model

    train_set, test_set = small_mnist
    shipped, _ = load_model()
    # A "person's style" the shipped network does not know: digits turned a quarter turn, with
    # their own labels (taken from images it does not test on).
    turned = torch.rot90(train_set.inputs[:20], 1, dims=(2, 3))
    extra = TensorDataset(turned, train_set.labels[:20].clone(), "turned")
    assert evaluate(shipped, extra)[0] >= 10, "the samples must be new to the shipped network"
    errors_before = evaluate(shipped, test_set)[0]

    mixed = mix_datasets(train_set, extra, extra_repeat(len(train_set), len(extra)))
    # The preset's steps and share of non-digits on these 3,000 images: its one pass over 24,000
    # images with 2,000 non-digits is 8 passes over 3,000 with 250; the model's own j (as a run's
    # RetrainRequest keeps it).
    preset = PRESETS["fine-tune"]
    settings = preset.settings
    assert (settings["train_limit"], settings["epochs"], settings["negatives"]) == (24_000, 1, 2_000)
    config = preset.config(epochs=8, negatives=250, rubbish_j=shipped.rubbish_j)
    result = train(config, mixed, test_set, CPU, initial_state=shipped.state_dict())
    assert evaluate(result.model, extra)[0] <= 1  # ≥ 95 % of them right
    assert result.history[-1].test_errors <= errors_before + 5  # 0.5 points of 1,000 images
