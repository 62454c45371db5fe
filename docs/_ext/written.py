"""Write a generated file only when its content changes (so Sphinx rebuilds only the pages that changed)."""

from __future__ import annotations

from pathlib import Path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    """Save a matplotlib Figure as PNG, replacing the file only when the bytes differ."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)
    return path
