"""Architecture rules that are cheap to enforce with an AST scan."""

from __future__ import annotations

import ast

from paths import PACKAGE

FORBIDDEN = {"numpy", "cupy", "cupyx"}


def _imported_roots(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_only_backends_import_numpy_or_cupy():
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
    tree = ast.parse("import numpy as np\nfrom cupy import fuse\nfrom .backends import xp\n")
    assert [root for _, root in _imported_roots(tree)] == ["numpy", "cupy"]


def test_no_per_batch_host_reads_in_training_step():
    """The step and its helpers never call float()/.item()/to_numpy (device syncs)."""
    source = (PACKAGE / "training" / "trainer.py").read_text()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("step", "_forward_loss", "_backward_update"):
            calls = {getattr(c.func, "id", getattr(c.func, "attr", ""))
                     for c in ast.walk(node) if isinstance(c, ast.Call)}
            assert not calls & {"float", "item", "to_numpy", "get", "asnumpy"}, (node.name, calls)
