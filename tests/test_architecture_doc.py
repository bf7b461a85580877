"""docs/architecture.md names every package and module under digitpad/ (one line each), so a
newcomer finds any concern there; a module added without its line fails here."""

from __future__ import annotations

from pathlib import Path

import digitpad

PACKAGE = Path(digitpad.__file__).resolve().parent
DOC = PACKAGE.parent / "docs" / "architecture.md"


def documented_names(path: Path) -> list[str]:
    """How the page names a module (`ink/strokes.py`) or a package (`ink/`), relative to digitpad/."""
    relative = path.relative_to(PACKAGE)
    if path.name == "__init__.py" and relative.parent != Path("."):
        return [f"`{relative.parent.as_posix()}/`"]
    return [f"`{relative.as_posix()}`"]


def test_every_package_and_module_has_its_line_in_the_architecture_page():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for path in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in path.parts
               for name in documented_names(path) if name not in text]
    assert missing == [], f"add a line for each to {DOC.name}: {missing}"


def test_the_check_sees_a_module_that_is_not_there(tmp_path):
    """The names it looks for are the ones the page uses (not something any text contains)."""
    assert documented_names(PACKAGE / "ink" / "strokes.py") == ["`ink/strokes.py`"]
    assert documented_names(PACKAGE / "ink" / "__init__.py") == ["`ink/`"]
    assert "`ink/no_such_module.py`" not in DOC.read_text(encoding="utf-8")
