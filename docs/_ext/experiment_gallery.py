"""The experiments gallery, generated from docs/gallery/<name>/metrics.json (full runs, committed with their
figures) and the experiments' own descriptions (title, seed report, headline metrics, data sets).

One page per experiment, in the runner's order: the command that reproduces it, the seed report's figure next to
our headline metrics, every metric of the run, its figures, and the other committed rows of experiments/RESULTS.md
for the same experiment (other data sets, GPU runs). Nothing here is typed by hand: a new full run copied in by
docs/gallery/update.py changes the page."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

from written import write_text


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|")


def _command(record: dict, experiment) -> str:
    dataset = "" if record["dataset"] == experiment.datasets[0] else f" --dataset {record['dataset']}"
    device = "" if record["device"] == "cpu" else f" --device {record['device']}"
    return f"python -m experiments run {experiment.name}{dataset}{device}"


def _results_rows(name: str) -> tuple[list[str], list[str]]:
    """The committed RESULTS.md lines of this experiment: (main table, GPU table)."""
    from experiments.experiment import registry
    from experiments.results import TRACKED

    title = registry()[name].title
    main, _, gpu = TRACKED.read_text().partition("## On the GPU")
    return tuple([line for line in part.splitlines() if line.startswith(f"| {title} |")] for part in (main, gpu))


def page(record: dict, experiment, folder: Path, number: int) -> str:
    metrics = record["metrics"]
    headline = {k: v for k, v in metrics.items() if any(fnmatch(k, p) for p in experiment.headline)}
    figures = sorted(p.name for p in folder.glob("*.png"))
    lines = [f"({experiment.name})=", f"# {number}. {experiment.title}", "",
             f"```bash\n{_command(record, experiment)}\n```", "",
             f"Data set `{record['dataset']}` (the experiment accepts {', '.join(experiment.datasets)}); "
             f"device `{record['device']}`, seed {record['seed']}, whole run {record['wall_seconds']} s on a shared "
             f"2-core machine. Module: `experiments/{experiment.module.rsplit('.', 1)[-1]}.py`.", "",
             "| | |", "|---|---|", f"| seed report | {experiment.seed_report} |",
             "| ours (headline) | " + "; ".join(f"{k} **{_value(v)}**" for k, v in headline.items()) + " |", ""]
    lines += ["```{list-table} Every metric of this run (metrics.json)", ":header-rows: 1", "",
              "* - metric", "  - value"]
    for key, value in metrics.items():
        lines += [f"* - `{key}`", f"  - {_value(value)}"]
    lines += ["```", ""]
    for name in figures:
        lines += [f"```{{image}} /gallery/{folder.name}/{name}", f":alt: {experiment.name}: {name}", "```", ""]
    main, gpu = _results_rows(experiment.name)
    if main:
        lines += ["Committed rows of `experiments/RESULTS.md` for this experiment (every data set):", "",
                  "| experiment | data | seed report | ours | device | wall time |", "|---|---|---|---|---|---|",
                  *main, ""]
    if gpu:
        lines += ["On the GPU (`experiments/gpu-runs/`):", "",
                  "| experiment | data | ours on the GPU | CPU wall time | GPU wall time | CPU / GPU |",
                  "|---|---|---|---:|---:|---:|", *gpu, ""]
    return "\n".join(lines) + "\n"


def write_all(gallery: Path, out: Path) -> list[Path]:
    """One page per experiment (out/<name>.md), the summary table, the cards of the gallery's front page and its
    toctree (out/*.inc.md, included by docs/gallery.md)."""
    from experiments.experiment import registry

    written = []
    summary = ["| # | experiment | data | headline (ours) | seed report |", "|---:|---|---|---|---|"]
    cards = ["::::{grid} 1 2 3 3", ":gutter: 2", ""]
    toctree = ["```{toctree}", ":hidden:", ""]
    for number, (name, experiment) in enumerate(registry().items(), start=1):
        folder = gallery / name
        metrics = folder / "metrics.json"
        if not metrics.is_file():
            raise FileNotFoundError(f"{metrics}: the gallery has no full run of {name}; run it and copy it in with "
                                    "python docs/gallery/update.py runs/")
        record = json.loads(metrics.read_text())
        written.append(write_text(out / f"{name}.md", page(record, experiment, folder, number)))
        headline = "; ".join(f"{k} {_value(v)}" for k, v in record["metrics"].items()
                             if any(fnmatch(k, p) for p in experiment.headline))
        summary.append(f"| {number} | {{doc}}`{experiment.title} </_generated/gallery/{name}>` | {record['dataset']} "
                       f"| {headline} | {experiment.seed_report} |")
        figures = sorted(p.name for p in folder.glob("*.png"))
        image = [f":img-top: /gallery/{name}/{figures[0]}", f":img-alt: {name}: {figures[0]}"] if figures else []
        cards += [f":::{{grid-item-card}} {number}. {experiment.title}", f":link: /_generated/gallery/{name}",
                  ":link-type: doc", *image, "", f"`python -m experiments run {name}`", ":::", ""]
        toctree.append(f"/_generated/gallery/{name}")
    written.append(write_text(out / "summary.inc.md", "\n".join(summary) + "\n"))
    written.append(write_text(out / "cards.inc.md", "\n".join([*cards, "::::"]) + "\n"))
    written.append(write_text(out / "toctree.inc.md", "\n".join([*toctree, "```"]) + "\n"))
    return written
