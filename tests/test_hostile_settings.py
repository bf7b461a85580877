"""A hostile settings file (issue 25, item 1): the app still starts, a file Qt must not read is
moved aside (kept) with one status message, and a device torch names but cannot run is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from drawings import draw
from mouse import mouse_stroke
from PySide6.QtCore import QByteArray, QSettings

from digitpad.gui import settings as keys
from digitpad.gui.main_window import MainWindow
from digitpad.storage.settings_file import MAX_SETTINGS_BYTES, untrusted_reason, vet_settings_file

ROOT = Path(__file__).resolve().parent.parent
BAD_ALLOC_LINE = b"x=@Variant(\\0\\0\\0\\t\\xff\\xff\\xff\\xfe)\n"  # a QVariantList of 4 billion elements


def _ini(home: Path) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "digitpad" / "digitpad.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.slow
def test_a_value_that_makes_qt_abort_is_never_read(isolated_user_data):
    """A subprocess: before the fix, Qt's std::bad_alloc aborts the whole process as the file is read."""
    ini = _ini(isolated_user_data)
    hostile = b"[view]\nshow_f6=true\n[zzz]\n" + BAD_ALLOC_LINE
    ini.write_bytes(hostile)
    script = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
        from digitpad.gui.settings import open_settings
        print("SHOW_F6:", open_settings().value("view/show_f6"))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SHOW_F6: None" in done.stdout  # the defaults: the file was moved aside
    (kept,) = ini.parent.glob("digitpad.ini.untrusted-*")
    assert kept.read_bytes() == hostile  # the user's file, kept whole


def test_the_window_starts_and_says_once_that_the_settings_were_moved_aside(isolated_user_data, qtbot):
    ini = _ini(isolated_user_data)
    ini.write_bytes(b"[view]\nshow_f6=true\n[window]\nx=@Rect(1 2 3 4)\n")  # harmless to Qt, but not ours
    window = MainWindow()
    qtbot.addWidget(window)
    status = window.statusBar().currentMessage()
    assert status.count("could not be trusted") == 1 and "kept as digitpad.ini.untrusted-" in status
    assert len(list(ini.parent.glob("digitpad.ini.untrusted-*"))) == 1


@pytest.mark.parametrize("value", [
    rb"@Variant(\0\0\0\t\xff\xff\xff\xfe)",
    rb'"@Variant(\0\0\0\t\xff\xff\xff\xfe)"',          # quoted: Qt still decodes it
    rb'"" @Variant(\0\0\0\t)',                          # an empty quoted part first
    rb"\x40Variant(\0\0\0\t)",                          # the @ as an escape
    rb"\100Variant(\0\0\0\t)",                          # … or an octal one
    rb"\ @Variant(\0\0\0\t)",                           # an escape Qt drops, then the @
    rb"a, @Variant(\0\0\0\t)",                          # the second item of a list
    rb"@DateTime(\0\0\0\t)",
    rb"@Rect(1 2 3 4)",
])
def test_values_qt_decodes_as_binary_are_untrusted(value):
    assert "binary data" in untrusted_reason(b"[a]\nk=" + value + b"\n")


@pytest.mark.parametrize("text, phrase", [
    (b"[a]\nk=plain \\\n@Variant(\\0)\n", "continued"),
    (b'[a]\nk="open\n@Variant(\\0)"\n', "quote left open"),
    (b"[a]\nk=x ; comment\n", "unquoted ';'"),
    (b"[a]\n@Variant(\\0)\n", "key=value"),
    (b"[a] k=@Variant(\\0)\n", "section"),
    (b"[a]\nk=caf\xe9\n", "UTF-8"),
    (b"[a]\nk=" + b"x" * MAX_SETTINGS_BYTES + b"\n", "KB"),
])
def test_lines_qt_would_read_otherwise_are_untrusted(text, phrase):
    assert phrase in untrusted_reason(text)


def test_the_files_digitpad_writes_are_trusted(isolated_user_data, qapp):
    path = _ini(isolated_user_data)
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    settings.setValue(keys.GEOMETRY, QByteArray(bytes(range(256)) + b",;\"@"))
    settings.setValue(keys.WEIGHTS_FILE, '@home/a b, c;d "e"\té=\\x.pt')
    settings.setValue(keys.DEVICE, "cuda:0")
    settings.setValue(keys.PEN_WIDTH, 12.5)
    settings.setValue(keys.SHOW_F6, True)
    settings.setValue("view/fractions", "0.5000,0.2500")
    settings.sync()
    assert vet_settings_file(path) is None
    assert QSettings(str(path), QSettings.Format.IniFormat).value(keys.WEIGHTS_FILE).startswith("@home/a b, c;d")


def test_a_named_pipe_as_settings_file_is_moved_aside(isolated_user_data):
    path = _ini(isolated_user_data)
    os.mkfifo(path)
    message = vet_settings_file(path)  # would block forever if it opened the pipe
    assert "named pipe" in message
    assert not os.path.lexists(path) and len(list(path.parent.glob("digitpad.ini.untrusted-*"))) == 1


def test_a_named_pipe_put_in_the_files_place_after_it_was_looked_at_is_moved_aside(isolated_user_data, monkeypatch):
    # The file is looked at, then opened: a pipe taking its place in between must be seen as a
    # pipe (opened without blocking, a pipe reads as an empty file, which Qt would then open and
    # wait on forever). The check before the open is made to see the regular file that was there.
    path = _ini(isolated_user_data)
    regular = isolated_user_data / "was-here.ini"
    regular.write_text("[view]\nzoom=4\n")
    os.mkfifo(path)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular) if Path(p) == path else real_stat(p, *a, **k))
    message = vet_settings_file(path)
    assert message is not None and "named pipe" in message
    assert not os.path.lexists(path)


def test_a_device_torch_names_but_cannot_run_falls_back_to_the_cpu(isolated_user_data, qtbot):
    _ini(isolated_user_data).write_text("[model]\ndevice=meta\n")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.session.device.type == "cpu"
    assert "meta' cannot run digitpad here" in window.statusBar().currentMessage()
    canvas = window.canvas
    size = 0.7 * min(canvas.width(), canvas.height())
    for stroke in draw(1, size=size, origin=(canvas.width() / 2, (canvas.height() - size) / 2)):
        mouse_stroke(qtbot, canvas, stroke)
    assert window.recognize_now().digit == 1
