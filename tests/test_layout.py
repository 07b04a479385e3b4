"""The house follows the data flow: no import circles anywhere under herbert/, crypto only in the storage
package, a record store without Flask, and every package saying what it is for."""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "herbert"


def module_names(package: Path) -> dict[str, Path]:
    """Dotted name → file, for every module of a package (a package is its __init__)."""
    names = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours this one imports, at module level or inside a function (or under TYPE_CHECKING).
    `from package import module` is an import of that module, as Python executes it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known]
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(source)
    return {module for module in found if module in known and module != name}


def cycles(package: Path) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    known = module_names(package)
    graph = {name: imported_modules(name, path, known) for name, path in known.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_module_under_herbert_is_part_of_an_import_cycle():
    assert cycles(PACKAGE) == []


def test_the_check_finds_a_circle_closed_inside_a_function(tmp_path: Path):
    package = tmp_path / "sample"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from sample import b\n")
    (package / "b.py").write_text("def later():\n    from sample.c import thing\n")
    (package / "c.py").write_text("from . import a\nthing = 1\n")
    (package / "d.py").write_text("from sample import a\n")  # imports into the circle, but is not part of it
    assert cycles(package) == [["sample.a", "sample.b", "sample.c"]]


def importers_of(target: str) -> set[str]:
    known = module_names(PACKAGE)
    return {name for name, path in known.items() if target in imported_modules(name, path, known)}


def test_crypto_is_called_only_by_the_storage_package():
    outside = {name for name in importers_of("herbert.crypto") if not name.startswith("herbert.records.")}
    assert outside == set()


def test_the_record_store_does_not_import_flask():
    tree = ast.parse((PACKAGE / "records" / "store.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name == "flask" or name.startswith("flask.")}


def test_every_package_says_in_its_first_line_what_it_is_for():
    silent = [
        str(init.relative_to(ROOT))
        for init in PACKAGE.rglob("__init__.py")
        if not (ast.get_docstring(ast.parse(init.read_text())) or "").strip()
    ]
    assert silent == []


def test_no_module_name_says_nothing():
    vague = {"utils", "helpers", "misc", "common", "stuff", "util"}
    by_name = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        by_name[path.stem].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in by_name.items() if name in vague} == {}
