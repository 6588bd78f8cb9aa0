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

Today's code breaks the rule in the places listed in ``ALLOWED`` (each with its reason and
the step of issue 19 that removes it), so that this test fails on any *new* violation; an
entry that no longer happens must be removed from its list, which ratchets the list down.
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

# Violations of today's code: imported module → (why it is still there, the importers).
# Handlers should reach the database only through a scheduler service (issue 19 step 1);
# the composition root's modules (bot.*) are above the handlers.
STEP_1 = "issue 19 step 1 moves this into the routine's services (scheduler/)"
ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    "bot.app": (
        "handlers get the App injected and import its class from the composition root; "
        "issue 19 step 4 gives them the interface they need in the base package",
        frozenset(
            {
                "handlers.admin",
                "handlers.bus",
                "handlers.common",
                "handlers.district",
                "handlers.drills",
                "handlers.duty",
                "handlers.duty_common",
                "handlers.duty_handover",
                "handlers.duty_patrol",
                "handlers.education",
                "handlers.export",
                "handlers.fallback",
                "handlers.hazards",
                "handlers.inspections",
                "handlers.leave",
                "handlers.media",
                "handlers.notices",
                "handlers.onboarding",
                "handlers.privacy",
                "handlers.pupils",
                "handlers.zero_report",
            }
        ),
    ),
    "bot.telegram_transport": (
        "handlers render keyboards with the transport's keyboard(); issue 19 step 3 (one "
        "callback codec, every keyboard rendered by the transport) takes them out",
        frozenset(
            {
                "handlers.admin",
                "handlers.bus",
                "handlers.drills",
                "handlers.duty_handover",
                "handlers.duty_patrol",
                "handlers.hazards",
                "handlers.inspections",
                "handlers.notices",
                "handlers.onboarding",
                "handlers.privacy",
                "handlers.zero_report",
            }
        ),
    ),
    "bot.fsm_storage": (
        "a conversation step moves the FSM in its own transaction (move_to): " + STEP_1,
        frozenset({"handlers.hazards", "handlers.inspections", "handlers.zero_report"}),
    ),
    "bot.runner": (
        "the first admin's /start sends the group-privacy-mode warning: " + STEP_1,
        frozenset({"handlers.onboarding"}),
    ),
    "bot.district": (
        "the district's commands read the schools of the process from the root: " + STEP_1,
        frozenset({"handlers.district"}),
    ),
    "storage.models": (
        "handlers load and change rows themselves: " + STEP_1,
        frozenset(
            {
                "handlers.admin",
                "handlers.drills",
                "handlers.notices",
                "handlers.zero_report",
            }
        ),
    ),
    "storage.people": (
        "handlers look people, units and invites up: " + STEP_1,
        frozenset(
            {
                "handlers.admin",
                "handlers.bus",
                "handlers.common",
                "handlers.drills",
                "handlers.export",
                "handlers.leave",
                "handlers.notices",
                "handlers.onboarding",
            }
        ),
    ),
    "storage.audit": (
        "handlers write the audit row of an admin action: " + STEP_1,
        frozenset(
            {
                "handlers.district",
                "handlers.admin",
                "handlers.export",
                "handlers.notices",
                "handlers.onboarding",
            }
        ),
    ),
    "storage.submissions": (
        "photo rows written by handlers: " + STEP_1,
        frozenset({"handlers.fallback", "handlers.media"}),
    ),
    "storage.duty": (
        "the roster and swaps read by the handler: " + STEP_1,
        frozenset({"handlers.duty"}),
    ),
    "storage.exports": (
        "the record book built by the handler: " + STEP_1,
        frozenset({"handlers.export"}),
    ),
    "storage.exports.district": (
        "the district's record book built by the handler: " + STEP_1,
        frozenset({"handlers.district"}),
    ),
    "storage.exports.labels": ("export kinds' names: " + STEP_1, frozenset({"handlers.export"})),
    "storage.hazards": (
        "hazard rows read by the handler: " + STEP_1,
        frozenset({"handlers.hazards"}),
    ),
    "storage.media": ("MediaStore.save of a photo: " + STEP_1, frozenset({"handlers.media"})),
    "storage.notices": (
        "the notice draft steps in the handler: " + STEP_1,
        frozenset({"handlers.notices"}),
    ),
    "storage.privacy": (
        "consent rows read by the handler: " + STEP_1,
        frozenset({"handlers.privacy"}),
    ),
    "storage.pupils": ("a parent link's pupils: " + STEP_1, frozenset({"handlers.onboarding"})),
    "storage.zero_report": (
        "incident rows read by the handler: " + STEP_1,
        frozenset({"handlers.zero_report"}),
    ),
}

# Handlers that still open transactions themselves (``app.sessions()``, ``app.sessions.begin()``),
# at most this many each: issue 19 step 1 takes them to zero, as handlers/education.py is
# (its services in scheduler/education.py open their own).
SESSIONS_ALLOWED = {
    "handlers.admin": 7,
    "handlers.bus": 8,
    "handlers.district": 1,
    "handlers.drills": 7,
    "handlers.duty": 6,
    "handlers.duty_handover": 7,
    "handlers.duty_patrol": 2,
    "handlers.export": 1,
    "handlers.fallback": 1,
    "handlers.hazards": 19,
    "handlers.inspections": 1,
    "handlers.leave": 4,
    "handlers.notices": 18,
    "handlers.onboarding": 5,
    "handlers.privacy": 4,
    "handlers.pupils": 2,
    "handlers.zero_report": 10,
}

# Imports that still close a cycle: (importer, imported) → why. Without these edges the
# graph must have no cycle.
CYCLE_EDGES_ALLOWED = {
    ("handlers.district", "bot.district"): "the district's commands take District and the "
    "DISTRICT key of App.extras from bot/district.py, which runs the district's processes and "
    "so builds the dispatcher (bot/dispatching.py, imported inside run_district); moving "
    "District below the handlers (issue 19 step 1/4) breaks this cycle",
}


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
        if (upward or handler_to_storage) and importer not in ALLOWED.get(imported, ("", ()))[1]:
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


def test_every_allowed_violation_still_happens() -> None:
    """A violation fixed is struck off the list, so it cannot come back unnoticed."""
    gone = [
        f"{importer} → {imported}"
        for imported, (_, importers) in ALLOWED.items()
        for importer in sorted(importers)
        if importer in modules() and imported not in imports_of(importer)
    ]
    gone += [
        f"{a} → {b} (cycle)"
        for a, b in CYCLE_EDGES_ALLOWED
        if a in modules() and b not in imports_of(a)
    ]
    assert not gone, "fixed: remove from tests/test_layers.py's lists:\n  " + "\n  ".join(gone)


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


def test_handlers_open_no_more_transactions_than_they_did() -> None:
    grown = [
        f"{name}: {count} uses of .sessions (allowed {SESSIONS_ALLOWED.get(name, 0)})"
        for name in modules()
        if layer(name) == "handlers"
        and (count := _sessions_opened(name)) > SESSIONS_ALLOWED.get(name, 0)
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
    graph = {
        name: {m for m in imports_of(name) if (name, m) not in CYCLE_EDGES_ALLOWED}
        for name in modules()
    }
    cycles = _cycles(graph)
    assert not cycles, "import cycles (function-level imports count):\n  " + "\n  ".join(
        " ↔ ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
