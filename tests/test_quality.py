"""The code base stays lint-clean and strictly typed: CI fails otherwise."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NO_RUFF = find_spec("ruff") is None
NO_MYPY = find_spec("mypy") is None


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(NO_RUFF, reason="the lint test needs ruff: pip install -e '.[dev]'")
def test_code_passes_the_linter_and_the_formatter() -> None:
    lint = _run("ruff", "check", "src", "tests", "bench")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "src", "tests", "bench")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.skipif(NO_MYPY, reason="the type check needs mypy: pip install -e '.[dev]'")
def test_code_type_checks_under_mypy_strict() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
