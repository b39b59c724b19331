"""make lint: no import circle in src/ (imports inside functions included; imports under
``if TYPE_CHECKING:`` excluded, as they never run). Prints each circle and exits 1."""

from __future__ import annotations

import sys

import grimp


def circles(package: str) -> list[list[str]]:
    """The strongly connected components (more than one module) of ``package``'s imports."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:  # Tarjan, iterative enough for a package this size
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in modules:
        if module not in index:
            visit(module)
    return found


def main() -> int:
    found = circles("sfn_downloader")
    for component in found:
        print("import circle:", " <-> ".join(component))
    if found:
        print(f"{len(found)} import circle(s): break each (a registry, or a module of its own).")
        return 1
    print("no import circle in sfn_downloader")
    return 0


if __name__ == "__main__":
    sys.exit(main())
