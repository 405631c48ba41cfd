"""Who may import whom, read from the source (``ast``), so the layering cannot drift quietly.

- The libraries (``endpoints``, ``camera``) import no service code: they are usable, and
  testable, without the controller.
- A simulator imports only itself: it is written from the vendor's documents, and one that
  shared the driver's code (its quoting, its digest, its parser) could only agree with it.
- ``camera`` uses ``endpoints`` only where the table says so.
- A router (a module that declares an ``APIRouter``) is a feature's ``api.py`` (or
  ``<name>_api.py``), and is imported by ``controller/app.py`` alone: what two routers or
  the CLI share belongs in a service.
- No loop of imports, and no router writes SQL or touches the database session: the
  feature's service does, so the CLI and the API share one set of rules.

``KNOWN`` would list imports that break the table while a move is under way (none now); the
test fails on any import outside the table and on a ``KNOWN`` entry that is gone, so such a
list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package (longest prefix wins) -> prefixes of first-party modules it may import
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "endpoints": ("endpoints",),
    "endpoints.sim": ("endpoints.sim",),
    "camera": ("camera",),
    "camera.sim": ("camera.sim",),
    "controller": ("controller", "camera", "endpoints"),
}
FIRST_PARTY = ("endpoints", "camera", "controller", "firmware_profiles", "tests")
# a package's own subpackage that it must not import (the library must not lean on its simulator)
NOT_INTO = {"endpoints": ("endpoints.sim",), "camera": ("camera.sim",)}
ALLOWED: set[tuple[str, str]] = {
    # ONVIF camera profiles are YAML validated with the same rules as endpoint firmware profiles
    ("camera.onvif.profiles", "endpoints.profiles"),
}
KNOWN: set[tuple[str, str]] = set()


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
        ):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(path: Path, *, runtime: bool = False) -> set[str]:
    """First-party modules imported anywhere in the file (functions included); ``runtime``:
    without those imported for type checking only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only(tree) if runtime else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in FIRST_PARTY}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _sources() -> dict[str, Path]:
    return {
        _module(p): p
        for package in ("endpoints", "camera", "controller")
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    }


def _routers() -> set[str]:
    return {
        _module(p)
        for p in (ROOT / "controller").rglob("*.py")
        if "APIRouter(" in p.read_text(encoding="utf-8")
    }


def _existing(imported: str, sources: dict[str, Path]) -> str | None:
    """The module an import names (``from x import y`` may name a module or an attribute)."""
    if imported in sources:
        return imported
    parent = imported.rsplit(".", 1)[0]
    return parent if parent in sources else None


def violations() -> set[tuple[str, str]]:
    sources, routers = _sources(), _routers()
    out: set[tuple[str, str]] = set()
    for module, path in sources.items():
        package = max((p for p in MAY_IMPORT if _within(module, p)), key=len)
        for imported in _imports(path):
            target = _existing(imported, sources) or imported
            if target == module or (module, target) in ALLOWED:
                continue
            if not any(_within(target, p) for p in MAY_IMPORT[package]) or any(
                _within(target, p) for p in NOT_INTO.get(package, ())
            ):
                out.add((module, target))
            if target in routers and module != "controller.app":
                out.add((module, target))
    return out


def test_the_scan_sees_imports():
    sources = _sources()
    assert "controller.app" in sources and "camera.sim.onvif_server" in sources
    assert "controller.fleet.api" in _routers() and "controller.api.deps" not in _routers()
    assert "camera.sim.soap" in {_existing(i, sources) for i in _imports(sources["camera.sim.onvif_server"])}


def test_routers_live_in_api_modules():
    """A newcomer looks for a feature's routes in its ``api.py``; a router anywhere else
    would be a second place to look (and would slip past the import rule's intent)."""
    names = {m.rsplit(".", 1)[1] for m in _routers()}
    assert {n for n in names if n != "api" and not n.endswith("_api")} == set()


def test_every_import_keeps_to_the_table():
    assert sorted(violations() - KNOWN) == []


def test_the_known_exceptions_still_exist_so_the_list_only_shrinks():
    assert sorted(KNOWN - violations()) == []


def cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly
    connected components over the imports that run, lazy ones inside functions included)."""
    sources = _sources()
    graph = {
        m: {t for i in _imports(p, runtime=True) if (t := _existing(i, sources)) and t != m}
        for m, p in sources.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_modules_import_each_other():
    """A loop of imports works only in the order someone happens to import it, and hides
    which module owns what; the CLI and the demo each had one."""
    assert cycles() == []


SQL_BUILDERS = {"select", "update", "delete", "insert", "text", "func"}
SESSION_CALLS = {
    "execute",
    "scalars",
    "scalar",
    "get",
    "add",
    "add_all",
    "delete",
    "flush",
    "merge",
    "refresh",
}


def sql_in(path: Path) -> int:
    """SQLAlchemy statements built, and session calls made, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sqlalchemy_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
    } & SQL_BUILDERS
    count = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in sqlalchemy_names:
            count += 1
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in SESSION_CALLS
            and isinstance(func.value, ast.Name)
            and func.value.id == "session"
        ):
            count += 1
    return count


def test_the_sql_count_sees_statements():
    assert sql_in(_sources()["controller.health.queries"]) > 5


def test_routers_write_no_sql():
    counts = {m: n for m in sorted(_routers()) if (n := sql_in(_sources()[m]))}
    assert counts == {}


def test_stored_secrets_are_decrypted_in_one_place_each():
    """A device password, a camera password, a sink secret and an alert rule's chat secret
    each have one function that decrypts it for the connection that needs it; a new
    ``.decrypt(`` elsewhere is a second path a secret could leak along."""
    sites = {
        module
        for module, path in _sources().items()
        if module != "controller.security"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "decrypt"
    }
    assert sites == {
        "controller.fleet.devices",
        "controller.cameras.hub",
        "controller.ioc.dispatcher",
        "controller.alerts.delivery",
    }
