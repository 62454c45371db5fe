"""Experiment scripts; each runs as `python experiments/<name>.py` and prints a short summary."""
