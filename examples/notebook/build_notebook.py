#!/usr/bin/env python3
"""Writes examples/ahat_tour.ipynb from examples/ahat_tour.py, its one source ('# %%' starts a
code cell, '# %% [markdown]' a text cell whose lines start with '# '). Run after editing the
script; CI executes the notebook and runs the script."""
import json
from pathlib import Path

HERE = Path(__file__).parent
text = (HERE.parent / "ahat_tour.py").read_text()
cells = []
for block in text.split("# %%")[1:]:
    head, _, body = block.partition("\n")
    body = body.strip("\n")
    if head.strip() == "[markdown]":
        lines = [l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.splitlines()]
        cells.append({"cell_type": "markdown", "metadata": {}, "source": "\n".join(lines)})
    else:
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": body})
for c in cells:
    src = c["source"].splitlines(keepends=True)
    c["source"] = src
nb = {"cells": cells,
      "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}},
      "nbformat": 4, "nbformat_minor": 5}
for k, c in enumerate(nb["cells"]):
    c["id"] = f"cell-{k}"
(HERE.parent / "ahat_tour.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
print(f"wrote {len(cells)} cells")
