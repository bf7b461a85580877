"""Vetting the settings file (digitpad.ini) before Qt reads it. No Qt here.

QSettings decodes every value of an INI file when it reads the file, before digitpad can check
a single key, and some encodings run Qt's binary deserialiser: one line such as
``x=@Variant(\\0\\0\\0\\t\\xff\\xff\\xff\\xfe)`` (a list claiming 4 billion elements) under any
section aborts the process with std::bad_alloc on every start. So the file is read here first,
and accepted only if it has the shape of the files digitpad writes: sections, ``key=value``
lines, values that are plain (escaped, possibly quoted) text or ``@ByteArray(…)``. Anything
else (``@Variant``, ``@DateTime``, …, a line Qt would join with the next, bytes that are not
UTF-8, a file over MAX_SETTINGS_BYTES, something that is not a regular file) makes the file
untrusted: `vet_settings_file` moves it aside, keeping it, and says so in one sentence.

The check follows Qt's INI reading (QSettingsPrivate::iniUnescapedStringList and
stringToVariant) closely enough to see where each value starts, and refuses whatever it cannot
place with certainty: it can refuse a file Qt would read harmlessly, never the reverse.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

from digitpad.safe_files import NotARegularFileError, open_regular_file

#: digitpad's own settings file is a few KB (the window layout is the largest value).
MAX_SETTINGS_BYTES = 256 * 1024
#: The only value encodings starting with "@" that Qt decodes without its binary deserialiser
#: ("@@" is an escaped "@" starting a plain text).
_SAFE_AT_PREFIXES = ("@@", "@ByteArray(", "@String(", "@Invalid()")
_LINE_END = re.compile(r"\r\n|\n\r|\r|\n")
_SECTION = re.compile(r"\[[A-Za-z0-9_.%/ -]*\]")
_KEY = re.compile(r"[A-Za-z0-9_.%/ -]+")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   '"': '"', "?": "?", "'": "'", "\\": "\\"}
_HEX = "0123456789abcdefABCDEF"
_OCT = "01234567"


def _value_items(value: str) -> list[tuple[str, int]]:
    """The items Qt makes of one INI value (one, or several for an unquoted comma list), each with
    how many of its leading characters are certain (came from plain characters, not from a
    numeric escape): Qt's iniUnescapedStringList, without the parts that cannot add a character."""
    items: list[tuple[str, int]] = []
    text: list[str] = []
    certain = 0  # leading characters of `text` that are plain characters
    exact = True
    in_quotes = False
    i, n = 0, len(value)

    def add(chars: str, plain: bool) -> None:
        nonlocal certain, exact
        text.append(chars)
        if plain and exact:
            certain += len(chars)
        else:
            exact = False

    def skip_spaces(i: int) -> int:
        while i < n and value[i] in " \t":
            i += 1
        return i

    i = skip_spaces(i)
    while i < n:
        ch = value[i]
        if ch == "\\":
            i += 1
            if i >= n:
                break
            code = value[i]
            i += 1
            if code in _SIMPLE_ESCAPES:
                add(_SIMPLE_ESCAPES[code], True)
            elif code == "x":
                start = i
                while i < n and value[i] in _HEX:
                    i += 1
                if i > start:
                    add("\ufffd", False)  # some character: which one does not matter, only that it is unsure
            elif code in _OCT:
                while i < n and value[i] in _OCT:
                    i += 1
                add("\ufffd", False)
            # any other escaped character (a line end included) adds nothing
        elif ch == '"':
            i += 1
            in_quotes = not in_quotes
            if not in_quotes:
                i = skip_spaces(i)
        elif ch == "," and not in_quotes:
            items.append(("".join(text), certain))
            text, certain, exact = [], 0, True
            i = skip_spaces(i + 1)
        else:
            j = i + 1
            while j < n and value[j] not in '\\",':
                j += 1
            add(value[i:j], True)
            i = j
    items.append(("".join(text), certain))
    return items


def _unsafe_item(item: str, certain: int) -> bool:
    """Whether Qt might decode this item with more than plain text or bytes."""
    if not item.startswith("@") and certain >= 1:
        return False
    if certain < 1:  # its first character came from an escape: refuse rather than guess
        return item != ""
    for prefix in _SAFE_AT_PREFIXES:
        if item.startswith(prefix) and certain >= len(prefix):
            return False
    return True


def untrusted_reason(data: bytes) -> str | None:
    """Why Qt must not read `data` as digitpad's settings file, or None when it may."""
    if len(data) > MAX_SETTINGS_BYTES:
        return f"more than {MAX_SETTINGS_BYTES // 1024} KB"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    text = text.removeprefix("\ufeff")
    for number, line in enumerate(_LINE_END.split(text), start=1):
        line = line.strip(" \t")
        if not line or (line.startswith(";") and "\\" not in line and '"' not in line):
            continue
        if line.startswith("["):
            if not _SECTION.fullmatch(line):
                return f"line {number}: an unusual section name"
            continue
        problem = _line_problem(line)
        if problem:
            return f"line {number}: {problem}"
    return None


def _line_problem(line: str) -> str | None:
    if line.endswith("\\"):
        return "continued on the next line"
    # Qt's line reader: a quote toggles quoting, a backslash hides the next character, an
    # unquoted ';' starts a comment. The files Qt writes quote every value holding a ';'.
    in_quotes, i = False, 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == ";" and not in_quotes:
            return "an unquoted ';'"
        i += 1
    if in_quotes:
        return "a quote left open"
    key, equals, value = line.partition("=")
    if not equals or not _KEY.fullmatch(key.strip(" \t")):
        return "not a key=value line"
    for item, certain in _value_items(value):
        if _unsafe_item(item, certain):
            return f"a value Qt would decode as binary data ({item[:24]!r}…)"
    return None


def _read_reason(path: Path) -> str | None:
    """Why `path` cannot be trusted (None: it may be read, or it does not exist). The file is
    checked by the descriptor it is read through (safe_files.open_regular_file), so a pipe put in
    its place after a look cannot pass for an empty file."""
    try:
        with open_regular_file(path) as handle:
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    except FileNotFoundError:
        return None
    except NotARegularFileError as exc:
        return f"it is {exc.kind}"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return untrusted_reason(data)


def _aside_name(path: Path) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        candidate = path.with_name(f"{path.name}.untrusted-{stamp}" + (f"-{n}" if n > 1 else ""))
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"no free name beside {path}")


class UntrustedSettings(Exception):
    """The settings file cannot be trusted and could not be moved aside either."""


def vet_settings_file(path: Path | str) -> str | None:
    """Check the settings file at `path` before Qt reads it. None when it is fine (or absent);
    when it cannot be trusted it is renamed to `<name>.untrusted-<date>` (kept for the user,
    never read again) and the sentence to show is returned. UntrustedSettings when it can
    neither be trusted nor moved (a read-only folder): the caller must then not read it."""
    path = Path(path)
    reason = _read_reason(path)
    if reason is None:
        return None
    try:
        aside = _aside_name(path)
        os.rename(path, aside)
    except OSError as exc:
        raise UntrustedSettings(f"The settings file {path} cannot be trusted ({reason}) and could not be "
                                f"moved aside ({exc.strerror or exc}); digitpad starts with its default "
                                "settings and will not save them.") from exc
    return (f"The settings file could not be trusted ({reason}); it was kept as {aside.name} and "
            "digitpad started with its default settings.")
