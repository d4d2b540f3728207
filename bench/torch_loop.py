#!/usr/bin/python3
"""Plain PyTorch BPTT loop of the same networks bench/peers.ts times with exodus-snn (issue 7).

Reads one case as JSON on argv[1] and the input tensor from a raw float32 file (argv[2]); prints one
JSON line with the median fwd+bwd time of one training step over `reps` runs, 2 threads. This is the
way snnTorch-style code writes an LIF: a Python loop over time, a surrogate autograd.Function.
"""
import json, sys, time, resource
import numpy as np
import torch

torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
case = json.loads(sys.argv[1])
T, B, N = case["T"], case["B"], case["N"]
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.float32).reshape(T, B, N))
alpha = float(np.float32(np.exp(-1.0 / case["tau"])))
theta = 1.0
width = 0.5 * theta


class Spike(torch.autograd.Function):
    """s = 1[v >= θ]; ds/dv = SingleExponential(0.5, 1) (sinabs / EXODUS default)."""

    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        return g * torch.exp(-(v - theta).abs() / width) / width


def lif(inp):
    v = torch.zeros(inp.shape[1], inp.shape[2])
    out = []
    # unbind (one autograd node) rather than inp[t]: T select nodes would each back-propagate a full
    # [T, B, N] zero tensor, an O(T²) trap that would make PyTorch look slower than it is.
    for x_t in inp.unbind(0):
        v = alpha * v + x_t
        s = Spike.apply(v)
        v = v - s * theta  # reset through the graph (BPTT reference semantics)
        out.append(s)
    return torch.stack(out)


torch.manual_seed(0)
warmup = case.get("warmup", 1)  # untimed steps first (bench/peers.ts sends its WARMUP)
layers = case["layers"]  # e.g. ["lif"], ["linear", "lif"], ["linear", "lif", "linear", "lif"]
weights = [torch.nn.Linear(N, N, bias=False) for l in layers if l == "linear"]


def net(inp):
    h = inp
    wi = 0
    for l in layers:
        if l == "linear":
            h = weights[wi](h.reshape(T * B, N)).reshape(T, B, N)
            wi += 1
        else:
            h = lif(h)
    return h


def timed(step, after=lambda: None):
    """Runs warmup + reps steps; prints the JSON line: median of the timed steps, the first step, peak RSS."""
    times = []
    for r in range(warmup + case["reps"]):
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        after()
        if r == 0:
            first = dt
        if r >= warmup:
            times.append(dt)
    times.sort()
    print(json.dumps({"ms": 1000 * times[len(times) // 2], "times": [1000 * t for t in times], "first_ms": 1000 * first,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if layers == ["gemm"]:
    # context row: the dense [T·B, N]·[N, N] product alone (the BLAS PyTorch links), forward only
    w = torch.randn(N, N)
    a = x.reshape(T * B, N)
    timed(lambda: a @ w)
    sys.exit(0)

xin = x.clone().requires_grad_(layers[0] == "lif")


def train_step():
    net(xin).sum().backward()


def clear_grads():
    for w in weights:
        w.weight.grad = None
    xin.grad = None


timed(train_step, clear_grads)
