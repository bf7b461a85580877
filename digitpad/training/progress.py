"""What a training run reports and how it learns to stop: one small object handed down from the
front end (the CLI's progress bar, the GUI's worker signals) through the run to the loop, instead
of five callbacks threaded through every layer. No torch here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from digitpad.errors import TrainingCancelled

if TYPE_CHECKING:
    from digitpad.training.loop import BatchProgress, EpochResult
    from digitpad.training.snapshot_recorder import SnapshotPoint


@dataclass(frozen=True)
class RunProgress:
    """Callbacks for a run's stages, batches (every `batch_every`), epochs and time-lapse
    snapshots, and `should_cancel`, polled between stages and batches. Any may be None."""

    on_stage: Callable[[str], None] | None = None
    on_batch: Callable[[BatchProgress], None] | None = None
    on_epoch: Callable[[EpochResult], None] | None = None
    on_snapshot: Callable[[SnapshotPoint], None] | None = None
    should_cancel: Callable[[], bool] | None = None
    batch_every: int = 20

    def stage(self, text: str) -> None:
        if self.on_stage is not None:
            self.on_stage(text)

    def batch(self, progress: BatchProgress) -> None:
        if self.on_batch is not None:
            self.on_batch(progress)

    def epoch(self, result: EpochResult) -> None:
        if self.on_epoch is not None:
            self.on_epoch(result)

    def check(self) -> None:
        """TrainingCancelled when the run should stop."""
        if self.should_cancel is not None and self.should_cancel():
            raise TrainingCancelled()

    def renumbered(self, first_epoch: int, total_epochs: int, stage_prefix: str = "",
                   on_snapshot: Callable[[SnapshotPoint], None] | None = None) -> RunProgress:
        """The same reports for one stage of a longer run: epochs counted from `first_epoch` out of
        `total_epochs`, stages prefixed, snapshots sent to `on_snapshot` (renumbered by the caller)."""

        def numbered(callback):
            if callback is None:
                return None
            return lambda p: callback(replace(p, epoch=p.epoch + first_epoch, epochs=total_epochs))

        on_stage = self.on_stage
        if stage_prefix and on_stage is not None:
            on_stage = lambda text: self.on_stage(stage_prefix + text)  # noqa: E731
        return replace(self, on_stage=on_stage, on_batch=numbered(self.on_batch), on_epoch=numbered(self.on_epoch),
                       on_snapshot=on_snapshot)


#: Reports nothing, never cancels.
SILENT = RunProgress()
