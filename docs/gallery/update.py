"""Copy full experiment runs into the docs gallery: metrics.json as it is, each PNG figure shrunk to at most
900 pixels wide as an 8-bit palette PNG where that is smaller (small files to commit).

    python -m experiments run NAME --out runs/gallery/NAME      (one full run per experiment)
    python docs/gallery/update.py runs/gallery                   (copies every NAME/ that holds a metrics.json)

Quick runs (--quick) are refused: the gallery shows full runs only."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

GALLERY = Path(__file__).resolve().parent
MAX_WIDTH = 900


def shrink(source: Path, target: Path) -> None:
    """The figure at most MAX_WIDTH wide as a 128-colour PNG, or the original where that is not smaller."""
    from PIL import Image

    with Image.open(source) as image:
        wide = image.width > MAX_WIDTH
        image = image.convert("RGB")
        if wide:
            image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.LANCZOS)
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    if not wide and target.stat().st_size >= source.stat().st_size:
        shutil.copyfile(source, target)


def copy_run(run: Path) -> Path:
    record = json.loads((run / "metrics.json").read_text())
    if record.get("quick"):
        raise SystemExit(f"{run}: a --quick run; the gallery shows full runs only")
    target = GALLERY / record["experiment"]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    shutil.copy2(run / "metrics.json", target / "metrics.json")
    for figure in sorted(run.glob("*.png")):
        shrink(figure, target / figure.name)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for run in sorted(Path(argv[1]).glob("*/metrics.json")):
        print(f"{run.parent} -> {copy_run(run.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
