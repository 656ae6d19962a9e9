#!/usr/bin/env python3
"""Train the bundled imported example: a one-head encoder that copies the previous token.

Trains a softmax head (mask j<i, beta = 1) on random strings over {a, b, c} on the CPU (a few
seconds; torch.manual_seed(0)), then writes its weights with an ahat header whose head rule is
average-hard: the hardened model, which `ahat import` rounds to exact rationals.

    python3 examples/train_tiny.py examples/tiny_prev_token.safetensors
    ahat import examples/tiny_prev_token.safetensors -o examples/tiny_prev_token.json --round 1000

Coordinates: 0..2 the one-hot token, 3 the position i (feature "i"), 4..6 the readout (the
previous token's scores). The task is the task library's "previous token" copy (position i
answers token i-1; position 0 has no answer and is left out of the loss).
"""
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from ahat_torch import AhatEncoder, save_safetensors  # noqa: E402

ALPHABET = ["a", "b", "c"]
D = 7


def main(path):
    torch.manual_seed(0)
    emb = torch.zeros(3, D, dtype=torch.float64)
    emb[0, 0] = emb[1, 1] = emb[2, 2] = 1
    pos = torch.zeros(D, dtype=torch.float64)
    pos[3] = 1
    p = {
        "q.w": torch.zeros(1, D), "q.b": torch.ones(1), "k.w": 0.1 * torch.randn(1, D), "k.b": torch.zeros(1),
        "v.w": 0.1 * torch.randn(3, D), "v.b": torch.zeros(3), "o.w": 0.1 * torch.randn(D, 3),
    }
    p = {k: v.double().requires_grad_() for k, v in p.items()}
    out_rows = torch.zeros(D, 1, dtype=torch.float64)
    out_rows[4:7] = 1  # the head writes only the readout coordinates
    opt = torch.optim.Adam(p.values(), lr=0.05)
    t0 = time.time()
    for step in range(400):
        n = int(torch.randint(2, 17, ()).item())
        tok = torch.randint(0, 3, (32, n))
        x = emb[tok] + torch.arange(n, dtype=torch.float64)[None, :, None] * pos
        q = x @ p["q.w"].T + p["q.b"]
        k = x @ p["k.w"].T + p["k.b"]
        v = x @ p["v.w"].T + p["v.b"]
        mask = torch.arange(n)[None, :] < torch.arange(n)[:, None]  # j < i
        s = (q @ k.transpose(1, 2)).masked_fill(~mask, -torch.inf)
        w = torch.nan_to_num(torch.softmax(s, dim=-1))  # position 0 has no allowed key
        y = x + (w @ v) @ (p["o.w"] * out_rows).T
        logits = y[:, 1:, 4:7]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 3), tok[:, :-1].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"trained 400 steps in {time.time() - t0:.1f} s, last loss {loss.item():.4f}", file=sys.stderr)
    T = {
        "input.embedding": emb.numpy(), "input.positional.0": pos.numpy(),
        "layers.0.heads.0.query.weight": p["q.w"].detach().numpy(), "layers.0.heads.0.query.bias": p["q.b"].detach().numpy(),
        "layers.0.heads.0.key.weight": p["k.w"].detach().numpy(), "layers.0.heads.0.key.bias": p["k.b"].detach().numpy(),
        "layers.0.heads.0.value.weight": p["v.w"].detach().numpy(), "layers.0.heads.0.value.bias": p["v.b"].detach().numpy(),
        "layers.0.heads.0.output.weight": (p["o.w"] * out_rows).detach().numpy(),
    }
    ref = lambda name: {"tensor": name}  # noqa: E731
    head = {"name": "previous", "rule": "average-hard", "mask": "j<i",
            "query": {"matrix": ref("layers.0.heads.0.query.weight"), "bias": ref("layers.0.heads.0.query.bias")},
            "key": {"matrix": ref("layers.0.heads.0.key.weight"), "bias": ref("layers.0.heads.0.key.bias")},
            "value": {"matrix": ref("layers.0.heads.0.value.weight"), "bias": ref("layers.0.heads.0.value.bias")},
            "output": ref("layers.0.heads.0.output.weight")}
    skeleton = {"format": "ahat-encoder", "version": 1, "name": "tiny-prev-token",
                "description": "Trained by examples/train_tiny.py (softmax, beta 1, 400 Adam steps, seed 0) to copy the previous "
                               "token; imported with its head hardened to average-hard.",
                "d": D,
                "input": {"kind": "string", "alphabet": ALPHABET, "embedding": ref("input.embedding"),
                          "positional": {"i": ref("input.positional.0")}},
                "layers": [{"heads": [head]}],
                "readout": {"kind": "sequence", "coordinates": [4, 5, 6]}}
    meta = {"format": "ahat-weights", "version": 1,
            "coordinates": ["c0:token:a", "c1:token:b", "c2:token:c", "c3:pos:i", "c4:readout0", "c5:readout1", "c6:readout2"],
            "heads": [{"layer": 0, "head": 0, "name": "previous", "rule": "average-hard", "mask": "j<i", "window": None, "beta": 1.0,
                       "trained_as": "softmax"}],
            "circuits": [], "skeleton": skeleton}
    save_safetensors(path, T, meta)
    # The hardened model, run in PyTorch: the previous token wins at every position.
    model = AhatEncoder({k: v for k, v in T.items()}, meta)
    tokens = ["a", "c", "b", "b", "a"]
    out = model(model.embed(tokens))
    got = [ALPHABET[int(i)] for i in out.argmax(dim=1)[1:]]
    print(f"hardened model on {' '.join(tokens)}: previous tokens {' '.join(got)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny_prev_token.safetensors")
