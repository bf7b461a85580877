"""The user's own labelled drawings ("Teach → This is a …"), kept in one JSON Lines file.

File format (UTF-8, default location `user_data_dir()/"samples.jsonl"`): one JSON object per
line, one line per drawing::

    {"label": 7, "strokes": [[[x, y], [x, y], ...], ...], "created": "2024-05-01T12:00:00+00:00"}

- ``label``: the digit, an integer 0–9.
- ``strokes``: the drawing as the canvas recorded it — a list of strokes, each a list of
  ``[x, y]`` points in canvas pixels (y down). Only the shape matters: `render_strokes` turns it
  into LeNet-5's 32×32 input whatever its size or position.
- ``created``: when it was taught, ISO 8601 (optional when importing).
- ``input`` instead of strokes, for a sample taught from an opened or pasted image: the network's
  32×32 input as 32 rows of 32 numbers in −0.1 … 1.175 (``"strokes"`` is then ``[]``).

Lines end in LF, CRLF or CR; a UTF-8 byte order mark starting a line is skipped. Blank lines are
ignored. A line that is not such an object (bad JSON, bad UTF-8, nested too deep, a number too
large, over MAX_LINE_BYTES) is reported in `SampleStore.problems` as ``"line N: reason"`` and the
other lines still load; such a line is kept verbatim when the file is rewritten, so nothing a
user made is ever dropped silently. A file over MAX_FILE_BYTES is refused as a whole.

Every change takes the file's lock (`digitpad.safe_files.locked`: a hidden `.samples.jsonl.lock`
beside it), re-reads the file, applies itself and writes the whole file atomically (temporary
file, fsync, os.replace), so several windows and `digitpad samples import` runs at once lose
nothing, and a crash or a full disk leaves the previous file intact.

No Qt and no torch here (training.datasets.samples_dataset makes the samples a data set): the
GUI's Teach menu and samples browser, the CLI and the tests share this code, and the GUI uses it
before torch is loaded.

Longer than ~400 lines because the format's checks and every locked read-modify-write (teach,
relabel, delete, import, export, each refusing what would break the file's limits) share the
same reading and writing, which must stay in step.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import SampleError
from digitpad.safe_files import NotARegularFileError, atomic_write_bytes, locked, open_regular_file
from digitpad.storage.jsonlines import MAX_LINE_BYTES, is_blank, split_lines
from digitpad.paths import user_data_dir
from digitpad.storage.stroke_records import decode_record, parse_strokes
from digitpad.ink.normalise import BACKGROUND, INK, INPUT_SIZE
from digitpad.ink.strokes import render_strokes

log = logging.getLogger(__name__)

SAMPLES_FILE = "samples.jsonl"
#: A samples file larger than this is refused (tens of thousands of drawings; a personal set is
#: a few hundred). Also bounds what reading a device or a pipe by mistake can cost.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Drawings one file may hold: 64 MB of one-point drawings would be 1.9 million, a gigabyte as
#: objects and 7 GB rendered for training. Counted before any line is parsed.
MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class Sample:
    """One labelled drawing. `strokes` is a tuple of strokes, each a tuple of (x, y) floats."""

    label: int
    strokes: tuple[tuple[tuple[float, float], ...], ...]
    created: str = ""
    pixels: tuple[tuple[float, ...], ...] | None = None  # the 32×32 input, for a sample from an image

    def to_json(self) -> dict:
        record = {"label": self.label, "strokes": [[[x, y] for x, y in stroke] for stroke in self.strokes],
                  "created": self.created}
        if self.pixels is not None:
            record["input"] = [list(row) for row in self.pixels]
        return record

    def to_line(self) -> str:
        """The sample as one line of the file (without the line end)."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    def render(self) -> np.ndarray:
        """LeNet-5's (32, 32) input for this drawing."""
        if self.pixels is not None:
            return np.asarray(self.pixels, np.float32)
        return render_strokes(self.strokes)

    def same_drawing(self, other: Sample) -> bool:
        """The same strokes (or the same image input), whatever the label and date."""
        return self.strokes == other.strokes and self.pixels == other.pixels


@dataclass(frozen=True)
class Taught:
    """What `SampleStore.teach` did: "added", "relabelled" or "already kept" (nothing written)."""

    outcome: str
    sample: Sample              # the sample kept now ("already kept": the one kept earlier)
    old_label: int | None       # "relabelled": the label it had before


def default_samples_path() -> Path:
    return user_data_dir() / SAMPLES_FILE


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def readable_date(created: str) -> str:
    """'24 Nov 2026, 05:10' in local time, from the ISO 8601 `created` ('' stays '')."""
    try:
        return _dt.datetime.fromisoformat(created).astimezone().strftime("%d %b %Y, %H:%M")
    except (TypeError, ValueError):
        return created


def _is_number(value) -> bool:
    """A finite JSON number that fits a float (a 400-digit integer does not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _checked_label(label) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise ValueError(f"label must be a digit 0-9, got {label!r}")
    return int(label)


def make_sample(strokes: Iterable[Sequence[Sequence[float]]], label: int, created: str | None = None) -> Sample:
    """A validated Sample from canvas strokes; ValueError says what is wrong."""
    label = _checked_label(label)
    parsed = tuple(tuple(stroke) for stroke in parse_strokes(list(strokes), finite=True) if stroke)
    if not parsed:
        raise ValueError("the drawing has no points")
    return Sample(label, parsed, _now() if created is None else created)


def make_image_sample(array32: np.ndarray, label: int, created: str | None = None) -> Sample:
    """A validated Sample from a 32×32 network input (an opened or pasted image)."""
    label = _checked_label(label)
    array = np.asarray(array32, np.float64)
    if array.shape != (INPUT_SIZE, INPUT_SIZE) or not np.isfinite(array).all():
        raise ValueError(f"an image sample must be {INPUT_SIZE}×{INPUT_SIZE} finite numbers")
    pixels = tuple(tuple(round(float(v), 4) for v in row) for row in np.clip(array, BACKGROUND, INK))
    return Sample(label, (), _now() if created is None else created, pixels)


def parse_sample(line: str | bytes) -> Sample:
    """One line of the file → Sample; ValueError with a short reason when it is not one."""
    record = decode_record(line)
    if not isinstance(record, dict):
        raise ValueError('expected an object like {"label": 7, "strokes": [[[x, y], ...]]}')
    for key in ("label", "strokes"):
        if key not in record:
            raise ValueError(f'missing "{key}"')
    label, created = record["label"], record.get("created", "")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise ValueError(f'"label" must be an integer 0-9, got {json.dumps(label)[:20]}')
    strokes = parse_strokes(record["strokes"], finite=True)
    if not isinstance(created, str):
        raise ValueError('"created" must be a string (ISO 8601 date)')
    if "input" in record:
        pixels = record["input"]
        if not (isinstance(pixels, list) and len(pixels) == INPUT_SIZE
                and all(isinstance(row, list) and len(row) == INPUT_SIZE and all(_is_number(v) for v in row)
                        for row in pixels)):
            raise ValueError(f'"input" must be {INPUT_SIZE} rows of {INPUT_SIZE} numbers')
        return make_image_sample(np.array(pixels, np.float64), label, created)
    return make_sample(strokes, label, created)


def require_file(path: Path) -> None:
    """SampleError unless something is at `path`: "file not found", or why it cannot be looked at
    (a symlink loop is not "file not found", as Path.exists() would have it)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        raise SampleError(f"{path}: file not found") from None
    except OSError as exc:
        raise SampleError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_capped(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of `path` (None if it does not exist); SampleError if it cannot be read or is
    over `limit` bytes. Reads at most limit + 1 bytes, so a device or an endless pipe costs
    no more than a file of the limit's size. `limit` defaults to MAX_FILE_BYTES."""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        with open_regular_file(path) as handle:  # a named pipe would block until a writer came
            data = handle.read(limit + 1)
    except FileNotFoundError:
        return None
    except NotARegularFileError as exc:
        raise SampleError(f"{path}: is {exc.kind}, not a samples file") from None
    except OSError as exc:
        raise SampleError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise SampleError(f"{path}: more than {_megabytes(limit)}, far too large for a samples file")
    return data


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


@dataclass
class _Line:
    """One non-blank line of the file: a sample, or the exact bytes of a line we could not read."""

    sample: Sample | None
    raw: bytes


def _line(sample: Sample) -> _Line:
    return _Line(sample, sample.to_line().encode("utf-8"))


class SampleStore:
    """The samples in one file. Reads on construction and on `reload()`; every change is written
    through at once. `problems` lists the lines that could not be read, as "line N: reason".
    `should_cancel`: a change waiting for the file's lock gives up (LockWaitCancelled) once it
    returns True (a window closing does not wait for another process)."""

    def __init__(self, path: Path | str | None = None, should_cancel: Callable[[], bool] | None = None):
        self.path = Path(path) if path is not None else default_samples_path()
        self._should_cancel = should_cancel
        self._lines: list[_Line] = []
        self.problems: list[str] = []
        self.reload()

    # -- reading --------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the file (a missing file is an empty store); SampleError if it cannot be read."""
        self._lines, self.problems = self._read(self.path)

    @staticmethod
    def _read(path: Path) -> tuple[list[_Line], list[str]]:
        data = read_capped(path)
        if data is None:
            return [], []
        lines, problems = [], []
        numbered = [(number, raw) for number, raw in split_lines(data) if not is_blank(raw)]
        if len(numbered) > MAX_SAMPLES:
            raise SampleError(f"{path}: {len(numbered):,} lines, more than the {MAX_SAMPLES:,} drawings a samples "
                              "file may hold")
        for number, raw in numbered:
            try:
                if len(raw) > MAX_LINE_BYTES:
                    raise ValueError(f"line is {len(raw):,} bytes, far too long for a drawing")
                lines.append(_Line(parse_sample(raw), raw))
            except ValueError as exc:
                problems.append(f"line {number}: {exc}")
                lines.append(_Line(None, raw))
        for problem in problems:  # the callers show them (CLI, GUI): logged once, quietly
            log.debug("%s: %s", path, problem)
        return lines, problems

    def samples(self) -> list[Sample]:
        return [line.sample for line in self._lines if line.sample is not None]

    def __len__(self) -> int:
        return len(self.samples())

    def counts(self) -> list[int]:
        """How many samples there are of each digit, 0..9."""
        counts = [0] * 10
        for sample in self.samples():
            counts[sample.label] += 1
        return counts

    # -- changing -------------------------------------------------------------------------------

    def _write(self, lines: list[_Line]) -> None:
        data = b"".join(line.raw + b"\n" for line in lines)
        if len(lines) > MAX_SAMPLES:
            raise SampleError(f"{self.path}: the samples file would hold {len(lines):,} drawings, more than the "
                              f"{MAX_SAMPLES:,} it may have; nothing was changed")
        if len(data) > MAX_FILE_BYTES:  # every later read would refuse the file: refuse the change instead
            raise SampleError(f"{self.path}: the samples file would grow to {_megabytes(len(data))}, over the "
                              f"{_megabytes(MAX_FILE_BYTES)} a samples file may have; nothing was changed")
        try:
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            raise SampleError(f"{self.path}: could not save the samples: {exc.strerror or exc}; "
                              "the previous file is unchanged") from exc

    def _change(self, edit) -> None:
        """Under the file's lock: re-read the file (another window or process may have changed
        it), apply `edit` to the lines, write (unless `edit` returns False); memory changes only
        if the write succeeded."""
        try:
            with locked(self.path, should_cancel=self._should_cancel):
                lines, problems = self._read(self.path)
                if edit(lines) is not False:  # False: nothing to change, nothing written
                    self._write(lines)
        except OSError as exc:  # the lock itself (reading and writing raise SampleError)
            raise SampleError(f"{self.path}: could not save the samples: {exc.strerror or exc}; "
                              "the previous file is unchanged") from exc
        self._lines, self.problems = lines, problems

    def add(self, strokes: Iterable[Sequence[Sequence[float]]], label: int) -> Sample:
        """Keep a drawing as a sample of `label`; ValueError for a bad label or an empty drawing."""
        sample = make_sample(strokes, label)
        self._change(lambda lines: lines.append(_line(sample)))
        return sample

    def teach(self, candidate: Sample) -> Taught:
        """Keep `candidate` (Teach → This Is a …) unless the same drawing is kept already: with the
        same label that is "already kept" and nothing is written, with another label the kept one
        is relabelled. Looked up and changed under one lock, so a drawing taught twice (by two
        windows, or twice before the first is saved) is kept once."""
        taught: list[Taught] = []

        def keep(lines: list[_Line]) -> bool:
            for i, line in enumerate(lines):
                earlier = line.sample
                if earlier is not None and earlier.same_drawing(candidate):
                    if earlier.label == candidate.label:
                        taught.append(Taught("already kept", earlier, None))
                        return False
                    lines[i] = _line(Sample(candidate.label, earlier.strokes, earlier.created, earlier.pixels))
                    taught.append(Taught("relabelled", lines[i].sample, earlier.label))
                    return True
            lines.append(_line(candidate))
            taught.append(Taught("added", candidate, None))
            return True

        self._change(keep)
        return taught[0]

    def take_back(self, taught: Taught) -> bool:
        """Undo a `teach`: remove the sample it added, or give back its old label. False when that
        sample is no longer there as taught (changed meanwhile, e.g. in another window)."""
        if taught.outcome == "already kept":
            return False
        found: list[bool] = []

        def undo(lines: list[_Line]) -> bool:
            for i, line in enumerate(lines):
                if line.sample == taught.sample:
                    if taught.outcome == "added":
                        del lines[i]
                    else:
                        kept = line.sample
                        lines[i] = _line(Sample(taught.old_label, kept.strokes, kept.created, kept.pixels))
                    found.append(True)
                    return True
            return False

        self._change(undo)
        return bool(found)

    def relabel(self, index: int, label: int) -> Sample:
        """Give `samples()[index]` another label (its drawing and date stay)."""
        target = self.samples()[index]
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
            raise ValueError(f"label must be a digit 0-9, got {label!r}")
        relabelled = Sample(int(label), target.strokes, target.created, target.pixels)

        def replace_line(lines: list[_Line]) -> None:
            for i, line in enumerate(lines):
                if line.sample == target:
                    lines[i] = _line(relabelled)
                    return
            raise SampleError(f"{self.path}: the sample was removed meanwhile (by another window?)")

        self._change(replace_line)
        return relabelled

    def delete(self, index: int) -> Sample:
        """Delete `samples()[index]` (IndexError if there is none)."""
        target = self.samples()[index]

        def remove(lines: list[_Line]) -> None:
            for i, line in enumerate(lines):
                if line.sample == target:
                    del lines[i]
                    return
            raise SampleError(f"{self.path}: the sample was already removed (by another window?)")

        self._change(remove)
        return target

    def relabel_many(self, targets: Iterable[Sample], label: int) -> int:
        """Give each of `targets` (samples as read) the label `label`, in ONE rewrite of the file
        under its lock (a few thousand one by one took minutes: a rewrite each). Samples removed
        meanwhile (by another window?) and those already so labelled are left; returns how many
        were relabelled."""
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
            raise ValueError(f"label must be a digit 0-9, got {label!r}")
        wanted = Counter(target for target in targets if target.label != int(label))
        changed = 0

        def replace_lines(lines: list[_Line]) -> bool:
            nonlocal changed
            for i, line in enumerate(lines):
                if line.sample is not None and wanted[line.sample] > 0:
                    wanted[line.sample] -= 1
                    lines[i] = _line(Sample(int(label), line.sample.strokes, line.sample.created, line.sample.pixels))
                    changed += 1
            return changed > 0

        self._change(replace_lines)
        return changed

    def delete_many(self, targets: Iterable[Sample]) -> int:
        """Delete each of `targets` (samples as read) in ONE rewrite of the file under its lock;
        samples removed meanwhile are left out of the count; returns how many were deleted."""
        wanted = Counter(targets)
        deleted = 0

        def remove_lines(lines: list[_Line]) -> bool:
            nonlocal deleted
            kept = []
            for line in lines:
                if line.sample is not None and wanted[line.sample] > 0:
                    wanted[line.sample] -= 1
                    deleted += 1
                else:
                    kept.append(line)
            lines[:] = kept
            return deleted > 0

        self._change(remove_lines)
        return deleted

    def import_file(self, path: Path | str) -> tuple[int, list[str]]:
        """Add the samples of another samples file, skipping exact duplicates.

        Returns (number added, that file's problems). SampleError if it cannot be read at all."""
        path = Path(path)
        require_file(path)
        incoming, problems = self._read(path)
        new = [line.sample for line in incoming if line.sample is not None]
        if not new and problems:  # a binary file, or another kind of JSON: one sentence, not a line each
            raise SampleError(f"{path}: not a samples file: none of its {len(problems):,} lines is a drawing "
                              f"({problems[0]})")
        added = 0

        def extend(lines: list[_Line]) -> None:
            nonlocal added
            present = {line.sample for line in lines if line.sample is not None}
            for sample in new:
                if sample not in present:
                    present.add(sample)
                    lines.append(_line(sample))
                    added += 1

        if new:
            self._change(extend)
        return added, problems

    def export_file(self, path: Path | str) -> int:
        """Write the readable samples to `path` (atomically, same format); returns how many.
        SampleError for the store's own file: that would drop its unreadable lines."""
        if _same_file(Path(path), self.path):
            raise SampleError(f"{path}: is the samples file being exported; export to another file")
        samples = self.samples()
        try:
            atomic_write_bytes(Path(path), "".join(s.to_line() + "\n" for s in samples).encode("utf-8"))
        except OSError as exc:
            raise SampleError(f"{path}: could not write: {exc.strerror or exc}") from exc
        return len(samples)


def _same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file (a symlink or a hard link included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)
