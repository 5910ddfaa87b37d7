#!/usr/bin/env python3
"""PyTorch CPU reference for the built-in Llama training benchmark (bench/lm.ts runs it side by side).

The same decoder as src/lm/ort/train-graph.ts: RMSNorm, rotate_half rotary, causal attention, SwiGLU, untied head,
mean cross-entropy; AdamW (weight decay on matrices only) with global-norm clipping 1.0; one thread; random tokens.
Prints one JSON object: {"tokens_per_second": ..., "step_ms": ..., "torch": version, "threads": 1}.
Usage: python3 bench/torch_reference.py [--steps 10] [--warmup 3] [--batch 8] [--seq 128]
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--seq", type=int, default=128)
p.add_argument("--vocab", type=int, default=4096)
p.add_argument("--dim", type=int, default=256)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--ffn", type=int, default=688)
args = p.parse_args()

torch.set_num_threads(1)
torch.manual_seed(0)
V, D, L, H, FF, B, T = args.vocab, args.dim, args.layers, args.heads, args.ffn, args.batch, args.seq
hd = D // H
eps = 1e-5


def rotate_half(x):
    x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(D))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm()
        self.q_proj = torch.nn.Linear(D, D, bias=False)
        self.k_proj = torch.nn.Linear(D, D, bias=False)
        self.v_proj = torch.nn.Linear(D, D, bias=False)
        self.o_proj = torch.nn.Linear(D, D, bias=False)
        self.post_attention_layernorm = RMSNorm()
        self.gate_proj = torch.nn.Linear(D, FF, bias=False)
        self.up_proj = torch.nn.Linear(D, FF, bias=False)
        self.down_proj = torch.nn.Linear(FF, D, bias=False)

    def forward(self, x, cos, sin, mask):
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, H, hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, H, hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, H, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o_proj(o)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(V, D)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(L)])
        self.norm = RMSNorm()
        self.lm_head = torch.nn.Linear(D, V, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())
        self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1))

    def forward(self, ids, targets):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        logits = self.lm_head(self.norm(x))
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


model = Model()
n_params = sum(p.numel() for p in model.parameters())
decay = [p for p in model.parameters() if p.dim() > 1]
no_decay = [p for p in model.parameters() if p.dim() <= 1]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95)
)
ids = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))


def step():
    opt.zero_grad(set_to_none=True)
    loss = model(ids, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


for _ in range(args.warmup):
    step()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
best = min(times)


def blas_library():
    """The BLAS shared library torch resolved (Debian: reference libblas unless OpenBLAS is installed)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
        return ", ".join(sorted(l for l in libs if l.startswith("/"))) or "none"
    except OSError:
        return "unknown"


median = sorted(times)[len(times) // 2]
print(
    json.dumps(
        {
            "tokens_per_second": B * T / median,
            "tokens_per_second_best": B * T / best,
            "step_ms": median * 1000,
            "params": n_params,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "blas": blas_library(),
        }
    )
)
