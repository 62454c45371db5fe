"""Layers with parameters or shapes of their own."""

from .linear import Linear

__all__ = ["Linear"]
