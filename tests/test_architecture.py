"""The package's rooms follow the data flow (docs/architecture.md): a module imports from the shared
vocabulary at the top and from rooms before it — reading → checking → ledger → outputs → mail —
never from a room after it; `workflow` and `api` string the rooms together; `cli` comes last."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "safetyreport"
ORDER = {"reading": 1, "checking": 2, "ledger": 3, "outputs": 4, "mail": 5, "workflow": 6, "api": 6,
         "__main__": 8, "cli": 7}


def _rank(module: str) -> int:
    """0 for the shared vocabulary (config, schema, periods, model, findings, values, atomic, the
    package itself), else the room's place in the flow."""
    parts = module.split(".")[1:]
    return ORDER.get(parts[0], 0) if parts else 0


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import of our own package in a file, lazy ones too."""
    rel = path.relative_to(PKG).with_suffix("").parts
    package = ["safetyreport", *rel[:-1]]  # the package a relative import starts from
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package[: len(package) - node.level + 1])
            if node.module:
                out.append((f"{base}.{node.module}", node.lineno))
            else:
                out += [(f"{base}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("safetyreport"):
            out.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("safetyreport")]
    return out


def test_no_room_imports_a_room_after_it():
    modules = sorted(PKG.rglob("*.py"))
    assert len(modules) > 30
    backwards = []
    for path in modules:
        me = "safetyreport." + ".".join(path.relative_to(PKG).with_suffix("").parts)
        for target, line in _imports(path):
            if _rank(target) > _rank(me):
                backwards.append(f"{path.relative_to(PKG)}:{line} imports {target}")
    assert backwards == []


def test_every_room_is_documented():
    """docs/architecture.md names every module, with its package, in its table of rooms."""
    doc = (PKG.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("").parts
        if rel[-1] in ("__init__", "__main__"):
            continue
        assert f"| `{'.'.join(rel)}` |" in doc, f"{'.'.join(rel)} is missing from docs/architecture.md"


def test_sub_packages_import_nothing_on_their_own():
    """An empty `__init__` keeps the lazy imports lazy: importing one room never pulls in another."""
    for init in PKG.glob("*/__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert all(isinstance(n, ast.Expr) for n in tree.body), init


def test_no_function_is_longer_than_a_screen():
    """No function in the package runs past 80 lines (a long one is split into named steps)."""
    import ast

    long = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 80:
                    long.append(f"{path.relative_to(PKG)}:{node.name} ({lines} lines)")
    assert not long, long


def test_every_error_the_user_can_fix_is_a_user_error():
    """One base for the user's mistakes: the CLI catches UserError in one place, each with a kind."""
    from safetyreport.atomic import OutputError
    from safetyreport.checking.validation import NoFilesError
    from safetyreport.config import ConfigError
    from safetyreport.errors import UsageError, UserError
    from safetyreport.ledger.store import LedgerError
    from safetyreport.mail.mailbox import FetchError
    from safetyreport.mail.send import MailError
    from safetyreport.periods import PeriodError
    from safetyreport.schema import SchemaError

    errors = [OutputError, NoFilesError, ConfigError, UsageError, LedgerError, FetchError, MailError, PeriodError,
              SchemaError]
    assert all(issubclass(e, UserError) for e in errors)
    assert len({e.kind for e in errors} - {"usage"}) == len(errors) - 1  # a kind of its own, but UsageError's
    cli = (PKG / "cli" / "commands.py").read_text(encoding="utf-8")
    assert "except UserError" in cli and "_library_errors" not in cli
