#!/usr/bin/python3
"""PyTorch BPTT twin of an exodus-snn model config (the paper's SHD MLP and DVS Gesture conv net), timed
for `npm run bench:peers -- --paper` (issue 12, item 8).

argv[1]: JSON {layers, loss, T, B, inputShape, labels, lr, reps, warmup, params: [[name, shape], ...]};
argv[2]: the input [T, B, *inputShape] as raw float32; argv[3]: our initial parameters as raw float32, end to
end in the order of `params` (so both sides start from the same weights); argv[4]: threads.

One training step = zero_grad, forward, loss, backward, Adam step (the same on our side). Synaptic layers run on
all T·B frames at once; neurons are a Python loop over time with a surrogate autograd.Function and the
reset through the graph (the way snnTorch-style code writes them, as bench/torch_loop.py does). τ is a trainable
scalar per neuron layer (α = exp(−1/τ)), as in our presets. Prints one JSON line: step times, the first step,
peak RSS, and loss0, the loss of one forward pass with dropout off, which must match our side's loss0 when the
two networks really are the same.
"""
import json, sys, time, resource
import numpy as np
import torch

torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
case = json.loads(sys.argv[1])
T, B = case["T"], case["B"]
shape = case["inputShape"]
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.float32).reshape(T, B, *shape))
flat_params = np.fromfile(sys.argv[3], dtype=np.float32)
labels = torch.tensor(case["labels"], dtype=torch.long)


class SingleExpSpike(torch.autograd.Function):
    """s = 1[v >= θ] (single spike); ds/dv = scale/w · exp(−|v − θ|/w), w = θ·gradWidth (our SingleExponential)."""

    @staticmethod
    def forward(ctx, v, theta, width, scale):
        ctx.save_for_backward(v)
        ctx.c = (theta, width, scale)
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        theta, width, scale = ctx.c
        return g * (scale / width) * torch.exp(-(v - theta).abs() / width), None, None, None


class LIF(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        if spec.get("spikeFn") != "single" or spec.get("tauSyn") or spec.get("normInput", True) or spec.get("minVMem") is not None:
            raise SystemExit("torch_paper.py: only single-spike LIF without tauSyn, normInput or minVMem is mirrored")
        self.tauMem = torch.nn.Parameter(torch.tensor([float(spec["tauMem"])]))
        self.theta = float(spec.get("spikeThreshold", 1))
        self.width = self.theta * float(spec.get("gradWidth", 0.5))
        self.scale = float(spec.get("gradScale", 1))

    def forward(self, inp):
        alpha = torch.exp(-1 / self.tauMem)
        v = torch.zeros_like(inp[0])
        out = []
        # unbind: one autograd node (inp[t] would back-propagate T full-size zero tensors, an O(T²) trap)
        for x_t in inp.unbind(0):
            v = alpha * v + x_t
            s = SingleExpSpike.apply(v, self.theta, self.width, self.scale)
            v = v - s * self.theta  # subtractive reset through the graph
            out.append(s)
        return torch.stack(out)


class ExpLeak(torch.nn.Module):
    """Non-spiking leaky integrator readout: v_t = α·v_{t−1} + in_t, output v."""

    def __init__(self, spec):
        super().__init__()
        if spec.get("normInput", False):
            raise SystemExit("torch_paper.py: ExpLeak with normInput is not mirrored")
        self.tauMem = torch.nn.Parameter(torch.tensor([float(spec["tauMem"])]))

    def forward(self, inp):
        alpha = torch.exp(-1 / self.tauMem)
        v = torch.zeros_like(inp[0])
        out = []
        for x_t in inp.unbind(0):
            v = alpha * v + x_t
            out.append(v)
        return torch.stack(out)


class PerFrame(torch.nn.Module):
    """Runs a frame-wise module on [T·B, ...] (time folded into the batch, as our Linear/Conv2d/pooling do)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, h):
        y = self.m(h.reshape(T * B, *h.shape[2:]))
        return y.reshape(T, B, *y.shape[1:])


def build(spec):
    t = spec["type"]
    if t == "linear":
        m = torch.nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    elif t == "conv2d":
        m = torch.nn.Conv2d(spec["in"], spec["out"], spec["kernel"], stride=spec.get("stride", 1), padding=spec.get("padding", 0),
                            bias=spec.get("bias", True))
    elif t == "avgpool2d":
        return PerFrame(torch.nn.AvgPool2d(spec["kernel"], spec.get("stride")))
    elif t == "flatten":
        return torch.nn.Flatten(2)
    elif t == "dropout":
        return torch.nn.Dropout(spec["p"])  # elementwise over [T, B, ...], as ours
    elif t == "lif":
        return LIF(spec)
    elif t == "expleak":
        return ExpLeak(spec)
    else:
        raise SystemExit(f"torch_paper.py: layer type {t} is not mirrored")
    if spec.get("weightNorm"):
        m = torch.nn.utils.weight_norm(m)  # dim=0, parameters weight_g, weight_v (as ours)
    return PerFrame(m)


layers = [build(s) for s in case["layers"]]
net = torch.nn.Sequential(*layers)

# our parameters, by name ("0.weight", "1.tauMem", "0.weight_g", ...) → the twin's ("0.m.weight", "1.tauMem", ...)
own = dict(net.named_parameters())
off = 0
with torch.no_grad():
    for name, pshape in case["params"]:
        idx, pname = name.split(".", 1)
        key = f"{idx}.m.{pname}" if f"{idx}.m.{pname}" in own else name
        n = int(np.prod(pshape))
        own[key].copy_(torch.from_numpy(flat_params[off:off + n].copy()).reshape(own[key].shape))
        del own[key]
        off += n
if own:
    raise SystemExit(f"torch_paper.py: parameters without a value from our side: {sorted(own)}")
if off != flat_params.size:
    raise SystemExit(f"torch_paper.py: {flat_params.size - off} parameter values left over")


def loss_of(y):
    if case["loss"]["name"] == "ce-max":
        return torch.nn.functional.cross_entropy(y.max(0).values, labels)
    if case["loss"]["name"] == "ce-count":
        return torch.nn.functional.cross_entropy(y.sum(0) * case["loss"].get("scale", 1), labels)
    raise SystemExit(f"torch_paper.py: loss {case['loss']['name']} is not mirrored")


net.eval()
with torch.no_grad():
    loss0 = float(loss_of(net(x)))
net.train()
opt = torch.optim.Adam(net.parameters(), lr=case["lr"])


def train_step():
    opt.zero_grad(set_to_none=True)
    loss = loss_of(net(x))
    loss.backward()
    opt.step()


times = []
for r in range(case["warmup"] + case["reps"]):
    t0 = time.perf_counter()
    train_step()
    dt = time.perf_counter() - t0
    if r == 0:
        first = dt
    if r >= case["warmup"]:
        times.append(dt)
print(json.dumps({"times": [1000 * t for t in times], "first_ms": 1000 * first, "loss0": loss0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
