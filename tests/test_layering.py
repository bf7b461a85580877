"""The core imports no Qt: everything outside digitpad/gui/ runs (and is tested) without it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import digitpad

PACKAGE = Path(digitpad.__file__).resolve().parent
QT_PACKAGES = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qtpy"}


def core_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "gui" not in p.relative_to(PACKAGE).parts)


def qt_imports(source: str, name: str) -> list[str]:
    """Every import of a Qt binding anywhere in `source`, also inside functions and by
    importlib.import_module / __import__ with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            modules = [node.args[0].value]
        else:
            continue
        found += [f"{name}:{node.lineno} {module}" for module in modules if module.split(".")[0] in QT_PACKAGES]
    return found


def test_no_module_outside_the_gui_package_imports_qt():
    modules = core_modules()
    assert PACKAGE / "app" / "drawing.py" in modules and PACKAGE / "app" / "model_session.py" in modules
    offending = [hit for path in modules
                 for hit in qt_imports(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))]
    assert offending == []


def test_the_check_finds_qt_imports_anywhere_in_a_module():
    source = ("import numpy, PySide6\n"
              "def f():\n"
              "    from PySide6.QtGui import QImage\n"
              "    import importlib; importlib.import_module('shiboken6')\n"
              "    from .gui import canvas\n")
    hits = qt_imports(source, "example.py")
    assert [hit.split()[-1] for hit in hits] == ["PySide6", "PySide6.QtGui", "shiboken6"]


#: What a function-level import may defer (issue 23): the heavy libraries, Qt behind the command
#: line, or an import cycle. Its comment (on its line, or on the line above its group) names which.
DEFERRED = ("torch", "numpy", "PIL", "onnx", "Qt", "cycle")


def unexplained_function_imports(source: str, name: str) -> list[str]:
    """Every import inside a function whose group of imports carries no comment naming what it defers."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source, name)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        reason = ""
        for statement in function.body:
            if not isinstance(statement, (ast.Import, ast.ImportFrom)):
                reason = ""  # a new group of imports needs its own reason
                continue
            above = lines[statement.lineno - 2].strip()
            if above.startswith("#"):
                reason = above
            own = lines[statement.end_lineno - 1].partition("#")[2]
            if not any(word in own or word in reason for word in DEFERRED):
                found.append(f"{name}:{statement.lineno}")
    return found


def test_every_function_level_import_says_what_it_defers():
    offending = [hit for path in sorted(PACKAGE.rglob("*.py"))
                 for hit in unexplained_function_imports(path.read_text(encoding="utf-8"),
                                                         str(path.relative_to(PACKAGE.parent)))]
    assert offending == []


def test_the_check_finds_a_function_level_import_with_no_reason():
    source = ("import os\n"
              "def f():\n"
              "    # torch: deferred past --help\n"
              "    from digitpad.network import lenet5\n"
              "    from digitpad.storage import checkpoints\n"
              "    x = 1\n"
              "    from digitpad import paths\n"
              "def g():\n"
              "    import torch  # torch: only when asked\n"
              "    from digitpad import errors  # why not\n")
    assert unexplained_function_imports(source, "example.py") == ["example.py:7", "example.py:10"]


@pytest.mark.slow
def test_importing_every_core_module_loads_no_qt():
    names = [".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in core_modules()]
    names = [n.removesuffix(".__init__") for n in names if not n.endswith("__main__")]
    code = ("import importlib, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(QT_PACKAGES)!r}))")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
                            env=env, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
