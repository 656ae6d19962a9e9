#!/usr/bin/env python3
"""The attention picture of `ahat run --attention-svg` is well-formed XML (SVG) whose cells
carry the weights that `ahat run --attention --json` prints. Usage: check_svg.py AHAT
(run in the source tree; Python's standard library only)."""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def main():
    ahat = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        enc = os.path.join(tmp, "sort.json")
        svg = os.path.join(tmp, "att.svg")
        subprocess.run([ahat, "rasp", "compile", "rasp/sort.rasp", "--alphabet", "abn", "-o", enc], check=True,
                       stdout=subprocess.DEVNULL)
        out = subprocess.run([ahat, "run", enc, "--input", "banana", "--attention", "--json", "--attention-svg", svg],
                             check=True, capture_output=True, text=True).stdout
        doc = json.loads(out)
        root = ET.parse(svg).getroot()  # raises on malformed XML
    assert root.tag == SVG + "svg", root.tag
    heads = [g for g in root.iter(SVG + "g") if g.get("class") == "head"]
    assert len(heads) == len(doc["attention"]) > 0, (len(heads), len(doc["attention"]))
    tokens = doc["tokens"]
    for g, head in zip(heads, doc["attention"]):
        title = g.get("data-title")
        assert title.startswith("layer %d head %d" % (head["layer"], head["head"])), title
        keys = [t.text for t in g.iter(SVG + "text") if t.get("class") == "key-label"]
        assert keys == tokens, (keys, tokens)
        cells = {(int(r.get("data-query")), int(r.get("data-key"))): float(r.get("data-weight"))
                 for r in g.iter(SVG + "rect") if r.get("class") == "cell"}
        n = len(tokens)
        assert len(cells) == n * n, len(cells)
        for q in head["queries"]:
            expected = dict(zip(q["keys"], q["weights"]))
            for k in range(n):
                got = cells[(q["query"], k)]
                assert abs(got - expected.get(k, 0.0)) < 1e-5, (q["query"], k, got, expected)
    print("ok: %d heat maps, %d positions each way" % (len(heads), len(tokens)))


if __name__ == "__main__":
    main()
