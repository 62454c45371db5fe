"""The API reference documents every public name: each name of pyldl_gpu.__all__ and of every public subpackage's
(and tool module's) __all__ must be the object of an autodoc entry in docs/api/*.md, under its own path or another
public path of the same object (pyldl_gpu.layers.Linear is documented as pyldl_gpu.Linear)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from paths import ROOT

import pyldl_gpu

API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^```\{auto(?:class|function|data|exception|method)\} (\S+)", re.M)
AUTOMODULE = re.compile(r"\.\. automodule:: (\S+)\n((?:   :.*\n)*)")


def public_modules() -> list[str]:
    """pyldl_gpu, its subpackages and top-level tool modules that declare __all__ (private ones, _x, left out)."""
    names = ["pyldl_gpu"]
    for info in pkgutil.iter_modules(pyldl_gpu.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"pyldl_gpu.{info.name}")
            if hasattr(module, "__all__"):
                names.append(module.__name__)
    return names


def _resolve(dotted: str):
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def documented_objects() -> list:
    """The objects of every autodoc directive of the reference (automodule :members: lists count too)."""
    text = "\n".join(path.read_text() for path in sorted(API.glob("*.md")))
    objects = [_resolve(name) for name in DIRECTIVE.findall(text)]
    for module_name, options in AUTOMODULE.findall(text):
        module = importlib.import_module(module_name)
        members = re.search(r":members:(.*)", options)
        if members is None:
            continue
        listed = [m.strip() for m in members.group(1).split(",") if m.strip()]
        names = listed or [n for n in getattr(module, "__all__", dir(module)) if not n.startswith("_")]
        objects += [getattr(module, n) for n in names if getattr(getattr(module, n), "__module__", None)
                    == module.__name__ or listed]
    return objects


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_is_in_the_api_reference(module_name):
    module = importlib.import_module(module_name)
    documented = documented_objects()
    missing = [name for name in module.__all__
               if not any(getattr(module, name) is obj for obj in documented)]
    assert not missing, f"{module_name}.__all__ names missing from docs/api/*.md: {missing}"


def test_the_public_modules_are_the_expected_ones():
    expected = {"pyldl_gpu", "pyldl_gpu.layers", "pyldl_gpu.losses", "pyldl_gpu.optimizers", "pyldl_gpu.training",
                "pyldl_gpu.testing", "pyldl_gpu.datasets", "pyldl_gpu.backends", "pyldl_gpu.metrics"}
    assert expected <= set(public_modules())


def test_every_directive_names_an_existing_object():
    text = "\n".join(path.read_text() for path in sorted(API.glob("*.md")))
    for name in DIRECTIVE.findall(text):
        _resolve(name)  # raises for a name that does not exist


def test_every_api_page_is_in_the_reference_toctree():
    index = (API / "index.md").read_text()
    pages = {p.stem for p in API.glob("*.md")} - {"index"}
    assert all(f"\n{page}\n" in index for page in pages), pages
