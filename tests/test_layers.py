"""The import rule: handlers → scheduler → storage, all of them → the base modules; nothing
imports a layer above its own, and no modules import each other in a cycle.

Imports are read from the source with ``ast``: every ``import`` and ``from … import``,
function-level and ``if TYPE_CHECKING:`` ones included. Layers, lowest first:

- base: what every layer may use (``BASE_MODULES``);
- storage: ``storage/`` (tables, queries, the outbox);
- scheduler: ``scheduler/`` (routines and their services; no aiogram);
- handlers: ``handlers/`` (aiogram routers: parse, call one service, reply);
- root: the rest of ``bot/`` (the composition root: app, runner, cli, middlewares …);
- the Bot API emulator (``emulator/``): a product of its own, importing nothing of the
  project, imported only by the root (the demo, the simulation, the CLI's ``emulator``).

A handler reaches the database only through a scheduler service, which owns the
transaction: no handler imports ``storage`` or opens a session. No exception is allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "scheduler", "storage", "emulator")

# The base package, which every layer may import and which imports nothing of the project
# outside itself. The project's top-level layout is fixed (bot/, handlers/, scheduler/,
# storage/), so it lives inside bot/ as bot/core/; the rest of bot/ is the composition root.
BASE_MODULES = ("bot.core",)
EMULATOR = "emulator"
RANK = {"base": 0, "storage": 1, "scheduler": 2, "handlers": 3, "root": 4}


@cache
def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the project: dotted name → (file, is a package)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:  # Alembic's scripts, run by alembic, imported by no one
                continue
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            found[name] = (path, is_package)
    return found


def _named(module: str) -> str | None:
    """The project module an import names (``storage.models.Person`` → storage.models)."""
    known = modules()
    while module and module not in known:
        module = module.rpartition(".")[0]
    return module or None


@cache
def imports_of(name: str) -> frozenset[str]:
    path, is_package = modules()[name]
    package = name if is_package else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                # ``from handlers import zero_report`` names the module handlers.zero_report
                full = f"{base}.{alias.name}"
                named.add(full if full in modules() else base)
    return frozenset(m for n in named if (m := _named(n)) is not None and m != name)


def layer(name: str) -> str:
    if name == "bot" or any(name == b or name.startswith(b + ".") for b in BASE_MODULES):
        return "base"
    if name == EMULATOR or name.startswith(EMULATOR + "."):
        return "emulator"
    top = name.split(".")[0]
    return "root" if top == "bot" else top


def edges() -> Iterator[tuple[str, str]]:
    for name in modules():
        for imported in sorted(imports_of(name)):
            yield name, imported


def test_the_reader_finds_function_level_and_relative_imports() -> None:
    assert "storage.sqlite_driver" in imports_of("storage.db")  # inside make_engine
    assert "bot.core.dates._text" in imports_of("bot.core.dates._parse")  # from ._text import …
    assert "handlers.zero_report" in imports_of("handlers")  # from handlers import zero_report
    assert layer("bot.core.dates._parse") == "base" and layer("bot.app") == "root"
    assert layer("emulator.server") == "emulator" and layer("storage.models") == "storage"


def test_no_layer_imports_one_above_it() -> None:
    new: list[str] = []
    for importer, imported in edges():
        low, high = layer(importer), layer(imported)
        if "emulator" in (low, high):
            continue
        upward = RANK[low] < RANK[high]
        handler_to_storage = low == "handlers" and high == "storage"
        if upward or handler_to_storage:
            new.append(f"{importer} → {imported} ({low} → {high})")
    assert not new, (
        "imports against the layers (handlers → scheduler → storage → base; a handler calls "
        "a scheduler service, which owns the transaction):\n  " + "\n  ".join(new)
    )


def test_the_base_modules_import_nothing_of_the_project_above_them() -> None:
    wrong = [f"{a} → {b}" for a, b in edges() if layer(a) == "base" and layer(b) != "base"]
    assert not wrong, "the base modules must stay a leaf:\n  " + "\n  ".join(wrong)


def test_the_emulator_imports_nothing_of_the_bot_and_only_the_root_imports_it() -> None:
    wrong = [
        f"{a} → {b}"
        for a, b in edges()
        if (layer(a) == "emulator") != (layer(b) == "emulator")
        and not (layer(a) == "root" and layer(b) == "emulator")
    ]
    assert not wrong, "the emulator is a product of its own:\n  " + "\n  ".join(wrong)


def _sessions_opened(name: str) -> int:
    """``app.sessions()`` and ``app.sessions.begin()``: handing ``app.sessions`` to a
    service, which opens its own transaction, is no such use."""
    path, _ = modules()[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def is_sessions(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "sessions"

    return sum(
        (isinstance(n, ast.Call) and is_sessions(n.func))
        or (isinstance(n, ast.Attribute) and n.attr == "begin" and is_sessions(n.value))
        for n in ast.walk(tree)
    )


def test_no_handler_opens_a_transaction() -> None:
    grown = [
        f"{name}: {count} uses of .sessions"
        for name in modules()
        if layer(name) == "handlers" and (count := _sessions_opened(name))
    ]
    assert not grown, (
        "a handler parses, calls one service (which owns its transaction) and replies:\n  "
        + "\n  ".join(grown)
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_modules_import_each_other_in_a_cycle() -> None:
    graph = {name: set(imports_of(name)) for name in modules()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles (function-level imports count):\n  " + "\n  ".join(
        " ↔ ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
