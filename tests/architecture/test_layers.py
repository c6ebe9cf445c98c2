"""The import contract: each layer imports only the layers under it, and the two HTTP edges not each other.

    domain <- store, analytics, learning <- config <- services <- worker, demo, http <- api, web <- app <- cli

Analytics and learning are reached through the services only; the API and the web pages share ``leadpact.http`` and know
nothing of each other; only ``leadpact.app`` composes them. Every import counts, also one inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[2] / "src" / "leadpact"

BELOW = {"domain", "store", "config", "services"}
ALLOWED: Mapping[str, frozenset[str]] = {
    "domain": frozenset(),
    "store": frozenset({"domain"}),
    "analytics": frozenset({"domain"}),
    "learning": frozenset({"domain"}),
    "config": frozenset({"domain", "store"}),
    "services": frozenset({"domain", "store", "analytics", "learning", "config"}),
    "worker": frozenset(BELOW),
    "demo": frozenset(BELOW),
    "http": frozenset(BELOW),
    "api": frozenset({*BELOW, "http"}),
    "web": frozenset({*BELOW, "http"}),
    "app": frozenset({*BELOW, "http", "api", "web", "worker"}),
    "cli": frozenset({*BELOW, "demo", "app"}),
}
"""Each layer (the first name under ``leadpact``) and the layers it may import besides itself."""


def layer_of(module: str) -> str | None:
    """``leadpact.api.routes.leads`` -> ``api``; None for what is not part of the package (or the package itself)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "leadpact" and len(parts) > 1 else None


def imported(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """The line and the module of every import in one source file, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from leadpact import api` imports the layer api
                yield node.lineno, f"{base}.{alias.name}"


def violations(root: Path, allowed: Mapping[str, frozenset[str]]) -> list[str]:
    """Every import in the package under ``root`` that goes against ``allowed``, as ``file:line: a -> b``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(("leadpact", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        source = layer_of(module)
        if source is None:
            continue
        if source not in allowed:
            found.append(f"{path.relative_to(root)}: layer '{source}' is not in the contract")
            continue
        crossings = {(line, layer_of(target)) for line, target in imported(path, module)}
        for line, target in sorted(crossings, key=str):
            if target is not None and target != source and target not in allowed[source]:
                found.append(f"{path.relative_to(root)}:{line}: {source} -> {target}")
    return found


def test_every_layer_imports_only_the_layers_under_it() -> None:
    assert violations(SOURCE, ALLOWED) == []


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("relative", "text", "found"),
    [
        ("domain/rules.py", "from leadpact.services import intake\n", "domain/rules.py:1: domain -> services"),
        ("api/routes.py", "from leadpact.web import render\n", "api/routes.py:1: api -> web"),
        ("web/pages.py", "def f():\n    import leadpact.api.deps\n", "web/pages.py:2: web -> api"),
        ("web/pages.py", "from leadpact import api\n", "web/pages.py:1: web -> api"),
        ("web/pages.py", "from ..analytics import funnel\n", "web/pages.py:1: web -> analytics"),
        ("store/tables.py", "from leadpact.services.clock import Clock\n", "store/tables.py:1: store -> services"),
        ("cli/main.py", "from leadpact.analytics.funnel import funnel\n", "cli/main.py:1: cli -> analytics"),
        ("spark/engine.py", "x = 1\n", "spark/engine.py: layer 'spark' is not in the contract"),
    ],
)
def test_a_deliberate_violation_is_caught(tmp_path: Path, relative: str, text: str, found: str) -> None:
    write(tmp_path, "services/intake.py", "from leadpact.domain import rules\n")  # allowed: services -> domain
    write(tmp_path, relative, text)
    assert violations(tmp_path, ALLOWED) == [found]
