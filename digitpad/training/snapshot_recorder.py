"""Taking a run's time-lapse: float16 copies of the weights at ~40 evenly spaced optimizer steps.

`training.loop.train` calls `start` once it knows how many steps the run has, `wants`/`take` after
each step and `add_epoch` after each epoch; `snapshots()` is the result (digitpad.storage.snapshots
saves it beside the checkpoint). Copying 60,840 numbers 41 times costs a few milliseconds in a run
of seconds to minutes (benchmarks/snapshots.py measures it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from digitpad.network.lenet5 import LeNet5
from digitpad.storage.snapshots import Snapshots

#: Snapshots in a run besides the starting weights: enough for a smooth slider, ~5 MB in all.
SNAPSHOT_POINTS = 40


@dataclass
class SnapshotPoint:
    """One snapshot as it is taken (for a live view): where in the run, and the weights (float16)."""

    index: int
    step: int
    epoch: float
    loss: float | None
    state: dict[str, torch.Tensor]


def planned_steps(total_steps: int, points: int = SNAPSHOT_POINTS) -> list[int]:
    """Step 0 (the starting weights) and `points` steps spread evenly up to the last one; fewer
    when the run has fewer steps than points."""
    if total_steps <= 0 or points <= 0:
        return [0]
    return sorted({round(total_steps * i / points) for i in range(points + 1)})


class SnapshotRecorder:
    """Collects a run's snapshots; `on_snapshot` (any thread's callback) hears of each one."""

    def __init__(self, points: int = SNAPSHOT_POINTS, on_snapshot: Callable[[SnapshotPoint], None] | None = None):
        self.points, self.on_snapshot = points, on_snapshot
        self._planned: set[int] = set()
        self._steps_per_epoch = 1
        self._snapshots = Snapshots()
        self._taken: list[dict[str, torch.Tensor]] = []

    def start(self, total_steps: int, steps_per_epoch: int) -> None:
        self._planned = set(planned_steps(total_steps, self.points))
        self._steps_per_epoch = max(1, steps_per_epoch)

    def wants(self, step: int) -> bool:
        return step in self._planned and (not self._snapshots.steps or step > self._snapshots.steps[-1])

    @torch.no_grad()
    def take(self, step: int, model: LeNet5, loss: float | None) -> None:
        """Copy `model`'s weights (the ones the run would keep now) as snapshot number `len(...)`."""
        state = {key: value.detach().to("cpu", torch.float16, copy=True) for key, value in model.state_dict().items()}
        snapshots = self._snapshots
        snapshots.steps.append(step)
        snapshots.epochs.append(step / self._steps_per_epoch)
        snapshots.losses.append(loss)
        self._taken.append(state)
        if self.on_snapshot is not None:
            self.on_snapshot(SnapshotPoint(len(self._taken) - 1, step, snapshots.epochs[-1], loss, state))

    def end_at(self, step: int, epoch: int, model: LeNet5, loss: float | None) -> None:
        """The run kept an earlier epoch's weights (TrainingConfig.keep_best_epoch), `model` now: the
        time-lapse ends there, with those weights as its last snapshot, so that it belongs to them."""
        keep = sum(1 for s in self._snapshots.steps if s < step)
        del self._snapshots.steps[keep:], self._snapshots.epochs[keep:], self._snapshots.losses[keep:]
        del self._taken[keep:]
        self._snapshots.history = [h for h in self._snapshots.history if h["epoch"] <= epoch]
        self.take(step, model, loss)

    def add_epoch(self, epoch: int, train_loss: float, test_error: float) -> None:
        self._snapshots.history.append({"epoch": epoch, "train_loss": train_loss, "test_error": test_error})

    def snapshots(self) -> Snapshots:
        """The snapshots so far, their weights stacked."""
        snapshots = self._snapshots
        if self._taken:
            snapshots.weights = {key: torch.stack([state[key] for state in self._taken]) for key in self._taken[0]}
        return Snapshots(list(snapshots.steps), list(snapshots.epochs), list(snapshots.losses),
                         dict(snapshots.weights), list(snapshots.history))
