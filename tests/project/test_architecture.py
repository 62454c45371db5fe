"""Architecture rules that are cheap to enforce with an AST scan."""

from __future__ import annotations

import ast

from paths import PACKAGE

FORBIDDEN = {"numpy", "cupy", "cupyx", "numba", "llvmlite"}


def _imported_roots(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_only_backends_import_numpy_cupy_or_numba():
    offenders = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10, "the scan must see the package"
    for path in files:
        if "backends" in path.relative_to(PACKAGE).parts:
            continue
        for line, root in _imported_roots(ast.parse(path.read_text(), str(path))):
            if root in FORBIDDEN:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {root}")
    assert not offenders, "array libraries imported outside pyldl_gpu/backends/:\n" + "\n".join(offenders)


def test_scan_catches_a_forbidden_import():
    tree = ast.parse("import numpy as np\nfrom cupy import fuse\nfrom .backends import xp\nfrom numba import prange\n")
    assert [root for _, root in _imported_roots(tree)] == ["numpy", "cupy", "numba"]


def test_no_per_batch_host_reads_in_training_step():
    """The step and its helpers never call float()/.item()/to_numpy (device syncs)."""
    source = (PACKAGE / "training" / "trainer.py").read_text()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("step", "_forward_loss", "_backward_update"):
            calls = {getattr(c.func, "id", getattr(c.func, "attr", ""))
                     for c in ast.walk(node) if isinstance(c, ast.Call)}
            assert not calls & {"float", "item", "to_numpy", "get", "asnumpy"}, (node.name, calls)


# The house plan (docs/architecture.md): each part of the package may import only parts of lower rank. The core
# (ranks 0-6) never imports a tool (ranks 7-8); nothing below backends/ knows about layers.
RANKS = {
    "exceptions": 0, "arguments": 1, "backends": 1, "input_spec": 2, "init": 2, "module": 3, "labels": 3,
    "layers": 4, "losses": 5, "optimizers": 5, "training": 6,
    "testing": 7, "parallel": 7, "metrics": 7, "plots": 7, "datasets": 7, "tuning": 8,
}
TOOLS = {part for part, rank in RANKS.items() if rank >= 7}


def _imported_parts(path):
    """The parts of pyldl_gpu (top-level modules or subpackages) a file imports, with line numbers."""
    package = ["pyldl_gpu", *path.relative_to(PACKAGE).with_suffix("").parts][:-1]  # the file's own package
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            targets = [base + node.module.split(".")] if node.module else [[*base, a.name] for a in node.names]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            targets = [name.split(".") for name in names if name.startswith("pyldl_gpu")]
        else:
            continue
        for target in targets:
            if len(target) > 1 and target[0] == "pyldl_gpu":
                yield node.lineno, target[1]


def _part(path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def test_every_part_imports_only_lower_parts_and_the_core_no_tool():
    offenders, seen = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        part = _part(path)
        if part in ("__init__", "__main__"):
            continue  # the public facade and the command line import everything
        assert part in RANKS, f"{part} has no place in the house plan (RANKS): add it, and to docs/architecture.md"
        seen.add(part)
        for line, imported in _imported_parts(path):
            if imported != part and imported in RANKS and RANKS[imported] >= RANKS[part]:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {part} imports {imported}")
    assert seen == set(RANKS), set(RANKS) - seen
    assert not offenders, "imports against the house plan:\n" + "\n".join(offenders)


def test_the_plan_scan_sees_relative_and_absolute_imports():
    found = {imported for _, imported in _imported_parts(PACKAGE / "layers" / "conv.py")}
    assert {"backends", "exceptions", "init", "input_spec", "module", "layers"} <= found
    assert TOOLS == {"testing", "parallel", "metrics", "plots", "datasets", "tuning"}
