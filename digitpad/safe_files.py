"""Writing files safely (no torch, no Qt): atomically, only over regular files, one writer at a time.

Used for weights, personal samples and exports alike.

- `atomic_write_bytes`: a crash, a kill or a full disk leaves the old file or the new one, never
  a mix. A symlink is written through (its target is replaced, the link stays); anything that is
  not a regular file (a device such as /dev/null, a fifo, a folder) is refused, never replaced;
  the file keeps its permissions.
- `locked`: an exclusive lock held across a read-modify-write, so two processes (two windows, the
  GUI and the CLI) editing the same file cannot lose each other's changes.
- `write_new_file`: a file under a fresh name that no other writer can take at the same moment.
- `open_regular_file`: reading only regular files (a named pipe or a device is refused unopened).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

#: How long `locked` waits for another process to finish its change before giving up.
LOCK_TIMEOUT_SECONDS = 30.0
#: A temporary file of ours unchanged for this long belongs to a writer that was killed.
STALE_TEMPORARY_SECONDS = 600.0
_LOCK_POLL_SECONDS = 0.01


class NotARegularFileError(OSError):
    """The target exists and is not a regular file (device, fifo, socket, folder): never replaced,
    never read. `kind` says what it is instead ("a named pipe")."""

    kind = "not a regular file"


class LockTimeout(OSError):
    """Another process held the lock for longer than LOCK_TIMEOUT_SECONDS."""


class LockWaitCancelled(Exception):
    """`locked` stopped waiting for the lock: its caller no longer wanted it (e.g. a window closing)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def write_target(path: Path | str) -> tuple[Path, os.stat_result | None]:
    """Where a write to `path` really goes (symlinks followed) and what is there now (None: nothing).

    Raises NotARegularFileError if something other than a regular file is there."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return target, None
    if not stat.S_ISREG(status.st_mode):
        raise NotARegularFileError(errno.EEXIST, f"it is {_kind(status.st_mode)}, not a regular file; "
                                                 "refusing to replace it", str(path))
    return target, status


def open_regular_file(path: Path | str) -> BinaryIO:
    """`path` opened for reading in binary mode, if it is a regular file (symlinks followed).

    Anything else raises NotARegularFileError before a single byte is read: opening a named pipe
    for reading waits for a writer that may never come, and a device may never end. The file is
    opened without blocking and checked by its descriptor, so nothing can take its place between
    the check and the read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            error = NotARegularFileError(errno.EINVAL, f"it is {_kind(status.st_mode)}, not a regular file; "
                                                       "refusing to read it", str(path))
            error.kind = _kind(status.st_mode)
            raise error
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def remove_stale_temporaries(target: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> None:
    """Remove the hidden temporary files `_write_temporary` made for `target` and a killed writer
    left behind (`kill -9`, a power cut): regular files named `.<name>.XXXXXXXX.tmp` not changed for
    `older_than` seconds (a live writer changes or renames its file far sooner). Best effort."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    now = time.time()
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not pattern.fullmatch(name):
            continue
        leftover = target.parent / name
        with contextlib.suppress(OSError):
            status = os.lstat(leftover)
            if stat.S_ISREG(status.st_mode) and now - status.st_mtime > older_than:
                os.unlink(leftover)


def check_output_path(path: Path | str) -> None:
    """Raise OSError now if `path` could not be written later: for commands that work a long time
    (training, exporting) before writing. Nothing is left behind."""
    target, _ = write_target(path)
    folder = target.parent
    existing = folder
    while not existing.exists():  # atomic_write_bytes creates missing folders
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{existing} is not a folder", str(path))
    if existing == folder:  # try what the write will do: a temporary file in that folder
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(tmp_name)
    elif not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "Permission denied", str(existing))


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` so that a crash, kill or full disk leaves either the old file or the
    new one, never a mix: temporary file in the same directory, flush, fsync, os.replace.

    A symlink is followed (its target gets the data); an existing file keeps its mode; anything
    not a regular file raises NotARegularFileError and is left alone."""
    target, existing = write_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp_name = _write_temporary(target.parent, target.name, data, existing)
    try:
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _sync_folder(target.parent)


def _write_temporary(folder: Path, name: str, data: bytes, existing: os.stat_result | None = None) -> str:
    """A hidden temporary file in `folder` holding `data`, flushed and synced, with the mode (and,
    for root, the owner) of `existing`, else the mode a plain open() would give. Returns its name;
    on failure nothing is left behind."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        if existing is not None:
            os.chmod(tmp_name, stat.S_IMODE(existing.st_mode))
            if hasattr(os, "chown") and os.geteuid() == 0:  # root rewriting a user's file keeps it theirs
                with contextlib.suppress(OSError):
                    os.chown(tmp_name, existing.st_uid, existing.st_gid)
        else:  # mkstemp makes the file private (0600); give it the mode a plain open() would have.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return tmp_name


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; not all platforms/filesystems allow opening a folder."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_new_file(folder: Path | str, stem: str, suffix: str, data: bytes) -> Path:
    """Write `data` under a name no other file has: `<stem><suffix>`, else `<stem>_2<suffix>`, ….

    Checking a name and then writing it races with another process doing the same (both see
    the name free, the second replaces the first). Here the complete file is linked to its name,
    which fails if the name is taken, so each writer gets its own. Returns the path written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp_name = _write_temporary(folder, stem, data)
    try:
        for n in range(1, 100_000):
            path = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}_{n}{suffix}")
            try:
                _claim(tmp_name, path)
            except FileExistsError:
                continue
            _sync_folder(folder)
            return path
        raise FileExistsError(errno.EEXIST, "no free file name", str(folder / f"{stem}{suffix}"))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)


def _claim(tmp_name: str, path: Path) -> None:
    """Give the finished temporary file the name `path`; FileExistsError if the name is taken."""
    try:
        os.link(tmp_name, path)  # atomic, and fails if the name exists
        return
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some network shares): reserve the name, then fill it
        pass
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    os.replace(tmp_name, path)


def lock_path(path: Path | str) -> Path:
    """The lock file for `path`: hidden, beside the real file (symlinks followed)."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def locked(path: Path | str, timeout: float = LOCK_TIMEOUT_SECONDS,
           should_cancel: Callable[[], bool] | None = None) -> Iterator[None]:
    """Hold an exclusive lock for `path` (fcntl.flock on POSIX, msvcrt.locking on Windows) while
    the block runs. The lock file stays (removing it would let two writers lock different files).
    Raises LockTimeout after `timeout` seconds of waiting, LockWaitCancelled as soon as
    `should_cancel()` is true while waiting, OSError if the lock file cannot be made."""
    lock_file = lock_path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if should_cancel is not None and should_cancel():
                raise LockWaitCancelled(f"stopped waiting for {lock_file.name}")
            if time.monotonic() > deadline:
                raise LockTimeout(errno.EAGAIN, f"another digitpad process has held {lock_file.name} for over "
                                                f"{timeout:.0f} s; try again", str(lock_file))
            time.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
