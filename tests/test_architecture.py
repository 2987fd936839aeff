"""The seams between packages, read from the source (issue 12): each package imports on its own,
no import cycle between packages, nobody but the unit of work ends a transaction, and nobody but
the workflow engine writes a workflow's state column."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = (
    "app",
    "licensing",
    "payments",
    "refunds",
    "receipts",
    "jobs",
    "faq",
    "surveys",
    "cases",
)
# The factory (`app/__init__.py`) is the composition root: it imports every blueprint by design,
# and the job runner builds the app through it. It is no seam, so it is no node of the graph.
COMPOSITION_ROOT = "app"


@functools.cache
def source_modules() -> dict[str, Path]:
    """Every module of our packages, by dotted name."""
    found = {}
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


# --- (a) each package imports on its own ------------------------------------------------------

# Imports the package and then each of its modules, in a fresh interpreter run from the worktree
# (so this checkout's code is imported, not the editable install's). For `app` itself only its own
# modules: its subpackages each have their own run.
IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
name, subpackages = sys.argv[1], sys.argv[2] == "with-subpackages"
package = importlib.import_module(name)
walk = pkgutil.walk_packages if subpackages else pkgutil.iter_modules
found = walk(package.__path__, name + ".")
for module in sorted(m.name for m in found if subpackages or not m.ispkg):
    importlib.import_module(module)
"""
APP_SUBPACKAGES = tuple(
    f"app.{path.parent.name}" for path in sorted((ROOT / "app").glob("*/__init__.py"))
)
IMPORTED_ALONE = SOURCE_PACKAGES + APP_SUBPACKAGES


@pytest.fixture(scope="module")
def import_runs() -> dict[str, subprocess.CompletedProcess]:
    """One fresh interpreter per package, all started at once (each takes a second or two)."""
    started = {
        name: subprocess.Popen(
            [sys.executable, "-c", IMPORT_EVERY_MODULE, name]
            + ["own-modules" if name == "app" else "with-subpackages"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in IMPORTED_ALONE
    }
    runs = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=120)
        runs[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return runs


def test_the_app_subpackages_are_all_imported_alone():
    expected = {"accounts", "audit", "calendar", "catalogue", "files", "maintenance"}
    assert {f"app.{name}" for name in expected | {"notifications"}} <= set(APP_SUBPACKAGES)


@pytest.mark.parametrize("package", IMPORTED_ALONE)
def test_each_package_imports_on_its_own(import_runs, package):
    run = import_runs[package]
    assert run.returncode == 0, f"importing {package} alone failed:\n{run.stderr}"


# --- (b) no import cycle ----------------------------------------------------------------------


def graph_node(module: str) -> str:
    """A domain package (`licensing`, `payments`, `refunds`, `receipts`, `jobs`) is one node.
    Inside `app`, the shared core made of small independent pieces, each module is one: the cycles
    issue 12 names were between two modules of app (`app.models` and `app.calendar.services`), and
    a subpackage as one node would count the web layer of `app.accounts` (its routes) against the
    `app.access` it stands on, a layering that is no cycle."""
    top = module.partition(".")[0]
    return module if top == "app" else top


def imported_modules(module: str, path: Path) -> Iterator[tuple[str, ast.AST]]:
    """Each module of ours that `module` imports, anywhere in it (inside functions too: a lazy
    import hides a cycle from Python, not from this graph), with the import statement."""
    known = source_modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(syntax_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in known else base), node


@functools.cache
def import_graph() -> dict[str, dict[str, list[str]]]:
    """node -> node it imports -> where (each import statement)."""
    graph: dict[str, dict[str, list[str]]] = {}
    for module, path in source_modules().items():
        for target, statement in imported_modules(module, path):
            if target.partition(".")[0] not in SOURCE_PACKAGES:
                continue
            source, sink = graph_node(module), graph_node(target)
            if source != sink and COMPOSITION_ROOT not in (source, sink):
                sites = graph.setdefault(source, {}).setdefault(sink, [])
                if (site := where(path, statement)) not in sites:
                    sites.append(site)
    return graph


def import_cycles(graph: dict[str, dict[str, list[str]]], limit: int = 20) -> list[list[str]]:
    """Every simple cycle (up to `limit`), each once: it starts at its smallest node."""
    cycles: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], {})):
            if nxt == path[0]:
                cycles.append([*path, nxt])
            elif nxt > path[0] and nxt not in path and len(cycles) < limit:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return cycles[:limit]


def describe(graph: dict[str, dict[str, list[str]]], cycle: list[str]) -> str:
    steps = [f"    {a} -> {b}  ({', '.join(graph[a][b])})" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_the_cycle_finder_finds_a_cycle_and_its_path():
    graph = {
        "a": {"b": ["a.py:1"]},
        "b": {"c": ["b.py:2"]},
        "c": {"a": ["c.py:3"], "d": ["c.py:4"]},
    }
    assert import_cycles(graph) == [["a", "b", "c", "a"]]
    graph["b"]["a"] = ["b.py:3", "b.py:5"]
    assert import_cycles(graph) == [["a", "b", "a"], ["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"]}}) == []
    assert describe(graph, ["a", "b", "a"]).splitlines() == [
        "a -> b -> a",
        "    a -> b  (a.py:1)",
        "    b -> a  (b.py:3, b.py:5)",
    ]


def test_the_graph_sees_lazy_imports_and_our_packages_only():
    graph = import_graph()
    # app/cli.py imports jobs inside its command functions only.
    assert "jobs" in graph["app.cli"]
    assert "flask" not in graph["app.cli"] and COMPOSITION_ROOT not in graph
    assert graph["licensing"]["app.files.storage"][0].startswith("licensing/")


def test_no_import_cycle_between_packages():
    graph = import_graph()
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe(graph, c) for c in cycles)


# --- (c) nobody but the unit of work ends a transaction ---------------------------------------

TRANSACTION_OWNERS = ("app/uow.py",)  # and every CLI module (`cli.py`); migrations are not read


def _ends_transaction(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    receiver = node.func.value
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return node.func.attr in ("commit", "rollback") and name == "session"


def transaction_ends(tree: ast.Module, label: str) -> list[str]:
    """Each `<...>.session.commit()` / `.rollback()` (or a bare `session`'s) in one module, in
    order."""
    found = sorted((n.lineno, ast.unparse(n)) for n in ast.walk(tree) if _ends_transaction(n))
    return [f"{label}:{line} {code}" for line, code in found]


def test_the_transaction_check_sees_commits_and_rollbacks_of_a_session_only():
    source = "def f():\n    db.session.commit()\n    session.rollback()\n    job.commit()\n"
    assert transaction_ends(ast.parse(source), "m.py") == [
        "m.py:2 db.session.commit()",
        "m.py:3 session.rollback()",
    ]


def test_only_the_unit_of_work_commits_or_rolls_back():
    found = [
        line
        for path in source_modules().values()
        if str(path.relative_to(ROOT)) not in TRANSACTION_OWNERS and path.name != "cli.py"
        for line in transaction_ends(syntax_tree(path), str(path.relative_to(ROOT)))
    ]
    assert not found, "transactions ended outside app/uow.py:\n" + "\n".join(found)


# --- (d) nobody but the workflow engine writes a workflow's state ------------------------------

# The models whose `state` a workflow governs, and the state a new row starts in (the answer key:
# written here, not read from the tables).
INITIAL_STATES = {
    "Application": "draft",
    "Licence": "active",
    "Payment": "pending",
    "Refund": "submitted",
    "Case": "received",
}
STATE_WRITERS = ("app/workflow.py",)
# The notification outbox's `state` is a delivery state (queued, sending, sent, failed), no
# workflow of app/workflow.py.
NOT_WORKFLOWS = ("app/notifications/",)
STATE_SCOPE = ("app", "licensing", "payments", "refunds", "receipts", "surveys", "cases")


def _names_initial(value: ast.expr, initial: str) -> bool:
    """`"draft"`, `State.DRAFT`, `lifecycle.PENDING` or `SUBMITTED`: the initial state named."""
    if isinstance(value, ast.Constant):
        return value.value == initial
    name = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", "")
    return name.lower() == initial


def _assigned(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    flat = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        else:
            flat.append(target)
    return flat


def _state_write_by_call(node: ast.Call) -> bool:
    """`setattr(x, "state", ...)`, `Model(state=...)` other than the initial state, or a bulk
    `.values(state=...)` / `.values({"state": ...})` (an UPDATE no attribute event sees)."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if called == "setattr" and len(node.args) > 1:
        return isinstance(node.args[1], ast.Constant) and node.args[1].value == "state"
    state = next((k.value for k in node.keywords if k.arg == "state"), None)
    if called in INITIAL_STATES:
        return state is not None and not _names_initial(state, INITIAL_STATES[called])
    if called == "values":
        keys = [k for a in node.args if isinstance(a, ast.Dict) for k in a.keys]
        return state is not None or any(
            isinstance(k, ast.Constant) and k.value == "state" for k in keys
        )
    return False


def _writes_state(node: ast.AST) -> bool:
    if any(isinstance(t, ast.Attribute) and t.attr == "state" for t in _assigned(node)):
        return True
    return isinstance(node, ast.Call) and _state_write_by_call(node)


def state_writes(tree: ast.Module, label: str) -> list[str]:
    """Each write of a `state` column in one module, but a new row's initial state, in order."""
    found = sorted((n.lineno, ast.unparse(n)) for n in ast.walk(tree) if _writes_state(n))
    return [f"{label}:{line} {code}" for line, code in found]


def test_the_state_check_sees_each_way_of_writing_a_state():
    source = """
refund.state = rl.APPROVED
licence.number, licence.state = n, "expired"
setattr(payment, "state", target)
Application(state=State.DRAFT, authority_id=1)
Payment(state=lifecycle.PENDING)
Refund(state=rl.APPROVED)
Licence(state="active")
sa.update(Payment).values(state="expired")
sa.update(Refund).values({"state": "failed"})
SlaStatus(state=state)
application.state == State.DRAFT
"""
    found = [line.partition(" ")[0] for line in state_writes(ast.parse(source), "m.py")]
    assert found == ["m.py:2", "m.py:3", "m.py:4", "m.py:7", "m.py:9", "m.py:10"]


def test_only_the_workflow_engine_writes_a_state():
    found = [
        line
        for path in source_modules().values()
        if (label := str(path.relative_to(ROOT))).startswith(tuple(f"{p}/" for p in STATE_SCOPE))
        and label not in STATE_WRITERS
        and not label.startswith(NOT_WORKFLOWS)
        for line in state_writes(syntax_tree(path), label)
    ]
    assert not found, "state written outside app/workflow.py:\n" + "\n".join(found)
