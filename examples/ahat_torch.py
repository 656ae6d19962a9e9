#!/usr/bin/env python3
"""Run an ahat encoder exported with `ahat export` in PyTorch (docs/formats.md, "Weights files").

Hard heads run as masked averages (argmax sets with ahat's double tie tolerance), softmax heads
through torch's scaled_dot_product_attention, feed-forward circuits as tensor code gate by gate
(sign as a comparison, so its derivative is 0, as in ahat's backward pass).

    python3 examples/ahat_torch.py run MODEL.safetensors --tokens "a b a"
    python3 examples/ahat_torch.py grad MODEL.safetensors INPUT.safetensors [MODEL2 INPUT2 ...] [--squared TARGET]

`grad` reads the tensor "x" (n x d) of each INPUT.safetensors and prints one JSON line per pair: the
readout ("outputs"), the loss (the sum of the readout, or 1/2 ||out - target||^2 with the
tensor "target" of the --squared file) and its gradient with respect to x ("grad"), by
autograd. Only numpy and torch are needed; safetensors files are read and written here.
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16}


def load_safetensors(path):
    """(tensors as float64 numpy arrays by name, the "ahat" metadata as a dict or None)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    tensors, meta = {}, None
    for name, v in header.items():
        if name == "__metadata__":
            if "ahat" in v:
                meta = json.loads(v["ahat"])
            continue
        b, e = v["data_offsets"]
        buf = raw[base + b:base + e]
        if v["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, dtype=np.dtype(DTYPES[v["dtype"]]).newbyteorder("<"))
        tensors[name] = a.astype(np.float64).reshape(v["shape"])
    return tensors, meta


def save_safetensors(path, tensors, meta=None):
    """Writes float64 tensors (name -> array) and the "ahat" metadata (a dict) as safetensors."""
    header, chunks, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = {"ahat": json.dumps(meta)}
    for name, a in tensors.items():
        data = np.ascontiguousarray(np.asarray(a, dtype="<f8")).tobytes()
        header[name] = {"dtype": "F64", "shape": list(np.shape(a)), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def feature(name, i, n):
    i = i.double()
    return {
        "1": torch.ones_like(i), "i": i, "i^2": i * i, "n": torch.full_like(i, n), "1/(i+1)": 1 / (i + 1),
        "1/n": torch.full_like(i, 1 / n), "i/n": i / n, "first": (i == 0).double(), "last": (i == n - 1).double(),
    }[name]


def allowed(mask, window, n):
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    a = {"none": torch.ones(n, n, dtype=torch.bool), "j<i": j < i, "j<=i": j <= i, "j>i": j > i, "j>=i": j >= i}[mask]
    if window is not None:
        a = a & ((i - j).abs() <= window)
    return a


class AhatEncoder(torch.nn.Module):
    """The encoder of an `ahat export` file; forward(x) maps an n x d input to the readout."""

    def __init__(self, tensors, meta, tie_tolerance=1e-9):
        super().__init__()
        self.meta, self.sk, self.tol = meta, meta["skeleton"], tie_tolerance
        self.t = {k: torch.tensor(v, dtype=torch.float64) for k, v in tensors.items()}
        self.circuits = {c["layer"]: c for c in meta.get("circuits", [])}

    def ref(self, j):
        return self.t[j["tensor"]]

    def embed(self, tokens):
        inp = self.sk["input"]
        if inp.get("bos") is not None:
            tokens = [inp["bos"]] + list(tokens)
        n = len(tokens)
        emb = self.ref(inp["embedding"])
        x = emb[[inp["alphabet"].index(t) for t in tokens]]
        i = torch.arange(n)
        for f, vec in inp.get("positional", {}).items():
            x = x + feature(f, i, n)[:, None] * self.ref(vec)[None, :]
        return x

    def head(self, x, h):
        n = x.shape[0]
        U = allowed(h.get("mask", "none"), h.get("window"), n)
        some = U.any(dim=1, keepdim=True)
        v = x @ self.ref(h["value"]["matrix"]).T + self.ref(h["value"]["bias"])
        rule = h.get("rule", "average-hard")
        if rule == "uniform":
            W = U.double() / U.sum(dim=1, keepdim=True).clamp(min=1)
            return W @ v
        q = x @ self.ref(h["query"]["matrix"]).T + self.ref(h["query"]["bias"])
        k = x @ self.ref(h["key"]["matrix"]).T + self.ref(h["key"]["bias"])
        if rule == "softmax":
            beta = eval_rational(h["beta"]) if isinstance(h.get("beta"), str) else float(h.get("beta", 1))
            a = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], attn_mask=U[None] | ~some[None], scale=beta)[0]
            return torch.where(some, a, torch.zeros_like(a))
        s = (q @ k.T).detach()
        mx = s.masked_fill(~U, -torch.inf).max(dim=1, keepdim=True).values
        sel = U & (mx - s <= self.tol * torch.clamp(mx.abs(), min=1))
        if rule == "average-hard":
            W = sel.double() / sel.sum(dim=1, keepdim=True).clamp(min=1)
        else:
            idx = torch.arange(n)[None, :].expand(n, n)
            pick = torch.where(sel, idx, n if rule == "unique-hard-left" else -1)
            pick = pick.min(dim=1).values if rule == "unique-hard-left" else pick.max(dim=1).values
            W = torch.nn.functional.one_hot(pick.clamp(0, n - 1), n).double() * some.double()
        return W @ v

    def ffn(self, y, c):
        vals, cols = [], list(y.unbind(1))
        inputs = {g: k for k, g in enumerate(c["inputs"])}
        for gid, (op, ins, value) in enumerate(c["gates"]):
            if op == "input":
                vals.append(y[:, c["reads"][inputs[gid]]])
            elif op == "const":
                vals.append(torch.full((y.shape[0],), float(value), dtype=torch.float64))
            elif op == "add":
                vals.append(sum((vals[o] for o in ins), torch.zeros(y.shape[0], dtype=torch.float64)))
            elif op == "mul":
                vals.append(vals[ins[0]] * vals[ins[1]])
            else:  # sign: 1 if x > 0 else 0, derivative 0
                vals.append((vals[ins[0]] > 0).double())
        for k, out in enumerate(c["outputs"]):
            w = c["writes"][k]
            cols[w] = cols[w] + vals[out]
        return torch.stack(cols, dim=1)

    def forward(self, x):
        for l, layer in enumerate(self.sk["layers"]):
            y = x
            for h in layer.get("heads", []):
                y = y + self.head(x, h) @ self.ref(h["output"]).T
            x = self.ffn(y, self.circuits[l]) if l in self.circuits else y
        ro = self.sk["readout"]
        if ro["kind"] == "sequence":
            return x[:, ro["coordinates"]]
        p = x.shape[0] - 1 if ro.get("position", "last") == "last" else 0
        return (x[p] @ self.ref(ro["weights"]) + self.ref(ro["bias"])).reshape(1, 1)


def eval_rational(text):
    if "/" in text:
        a, b = text.split("/")
        return float(a) / float(b)
    return float(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run on a token string")
    r.add_argument("model")
    r.add_argument("--tokens", required=True, help="tokens separated by spaces")
    g = sub.add_parser("grad", help="readout, loss and its gradient for the input tensor x (one JSON line per pair)")
    g.add_argument("pairs", nargs="+", help="MODEL.safetensors INPUT.safetensors, repeated")
    g.add_argument("--squared", help="a safetensors file with the tensor 'target' (one pair only)")
    a = ap.parse_args()
    if a.cmd == "run":
        tensors, meta = load_safetensors(a.model)
        if meta is None:
            sys.exit(f"{a.model}: no ahat metadata")
        model = AhatEncoder(tensors, meta)
        out = model(model.embed(a.tokens.split()))
        print(json.dumps({"outputs": out.detach().tolist()}))
        return
    if len(a.pairs) % 2 or (a.squared and len(a.pairs) != 2):
        sys.exit("grad takes MODEL INPUT pairs (one pair with --squared)")
    for m, i in zip(a.pairs[0::2], a.pairs[1::2]):
        tensors, meta = load_safetensors(m)
        if meta is None:
            sys.exit(f"{m}: no ahat metadata")
        model = AhatEncoder(tensors, meta)
        x = torch.tensor(load_safetensors(i)[0]["x"], dtype=torch.float64, requires_grad=True)
        out = model(x)
        if a.squared:
            target = torch.tensor(load_safetensors(a.squared)[0]["target"], dtype=torch.float64)
            loss = 0.5 * ((out - target) ** 2).sum()
        else:
            loss = out.sum()
        loss.backward()
        print(json.dumps({"outputs": out.detach().tolist(), "loss": loss.item(), "grad": x.grad.tolist()}))


if __name__ == "__main__":
    main()
