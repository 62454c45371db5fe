"""Testing utilities for users writing their own modules."""

from .gradcheck import gradcheck

__all__ = ["gradcheck"]
