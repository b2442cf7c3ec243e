"""moonml's modules import one another without cycles, lazy imports inside functions included.

A cycle hidden behind an import inside a function works until someone moves that import to
the top; it also means two modules each need the other, so neither is a stage of its own.
"""

import ast
from pathlib import Path

import moonml

PACKAGE = Path(moonml.__file__).parent


def module_imports(package: Path) -> dict[str, set[str]]:
    """Each module of `package` (dotted name) -> the package's modules it imports, anywhere in it."""
    root = package.name
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path

    def known(name: str) -> str | None:
        """The module `name` is, or is inside (`pkg.mod.attr` -> `pkg.mod`)."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names if alias.name.split(".")[0] == root}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == root:
                # `from pkg import mod` imports the module pkg.mod; `from pkg.mod import name`, pkg.mod.
                targets |= {known(f"{node.module}.{alias.name}") for alias in node.names}
        graph[name] = targets - {None, name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a circle (Tarjan's strongly connected
    components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_moonml_has_no_import_cycles() -> None:
    graph = module_imports(PACKAGE)
    assert "moonml.train" in graph and "moonml.search.grid" in graph["moonml.train"]
    assert cycles(graph) == []


def test_a_cycle_behind_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from pkg.sub.c import value\n")
    (package / "sub" / "c.py").write_text("import pkg.a\nvalue = 1\n")
    (package / "d.py").write_text("from pkg import a\n")  # imports into the cycle, not part of it
    assert cycles(module_imports(package)) == [["pkg.a", "pkg.sub.b", "pkg.sub.c"]]
