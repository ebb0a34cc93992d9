"""An independent implementation of docs/objective.md in PyTorch, with SciPy's
L-BFGS-B (the same Fortran 3.0 code styled calls), to check styled's logged losses and its
optimiser. Reads the VGG16 weights from styled's safetensors file and the job's images
(already at their render size, so nothing is resampled).

Usage: reference_gatys.py [--float32] WEIGHTS.safetensors CONTENT.png STYLE.png ITERATIONS [OUT.json]
Prints the iteration-0 loss terms (init = content, default weights) and the total after
ITERATIONS L-BFGS-B iterations, as JSON, with the optimisation's seconds per evaluation
(objective, gradient and L-BFGS-B step). The losses are computed in float64, to check styled's;
--float32 computes them in float32, as styled does (L-BFGS-B still works in float64), for
benchmarks/compare-pytorch.sh to time."""
import json, struct, sys, time
import numpy as np
import scipy.optimize
import torch
from PIL import Image

torch.set_num_threads(2)
arguments = [a for a in sys.argv[1:] if a != "--float32"]
dtype = torch.float32 if "--float32" in sys.argv[1:] else torch.float64
weights_path, content_path, style_path, iterations = arguments[0], arguments[1], arguments[2], int(arguments[3])
raw = open(weights_path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, payload = json.loads(raw[8:8 + n]), raw[8 + n:]

def tensor(name):
    a, b = header[name]["data_offsets"]
    return torch.from_numpy(np.frombuffer(payload[a:b], dtype="<f4").reshape(header[name]["shape"]).copy()).to(dtype)

blocks = [2, 2, 3, 3, 3]
content_layers = ["block4_conv2"]
style_layers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
c_weight, s_weight, v_weight = 1.0, 1e4, 0.0
convs = [(f"block{b}_conv{k}", tensor(f"block{b}_conv{k}.weight"), tensor(f"block{b}_conv{k}.bias"))
         for b, count in enumerate(blocks, 1) for k in range(1, count + 1)]
deepest = max(i for i, (name, _, _) in enumerate(convs) if name in content_layers + style_layers)

def features(x):  # x: 3×H×W RGB 0..255 (of `dtype`); returns post-ReLU activations by name
    h = (x[[2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68], dtype=dtype)[:, None, None])[None]
    out = {}
    for i, (name, w, b) in enumerate(convs[:deepest + 1]):
        if i > 0 and name.endswith("_conv1"):
            h = torch.nn.functional.max_pool2d(h, 2)
        h = torch.relu(torch.nn.functional.conv2d(h, w, b, padding=1))
        out[name] = h[0]
    return out

def load(path):
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float64).transpose(2, 0, 1).copy()).to(dtype)

def gram(f):
    f = f.reshape(f.shape[0], -1)
    return f @ f.T

content, style = load(content_path), load(style_path)
with torch.no_grad():
    P = {l: features(content)[l] for l in content_layers}
    A = {l: gram(features(style)[l]) for l in style_layers}

def terms(x):
    F = features(x)
    lc = sum(0.5 * ((F[l] - P[l]) ** 2).sum() for l in content_layers)
    layers = {}
    for l in style_layers:
        N, M = F[l].shape[0], F[l].shape[1] * F[l].shape[2]
        layers[l] = ((gram(F[l]) - A[l]) ** 2).sum() / (4 * N * N * M * M)
    ls = sum(layers.values()) / len(style_layers)
    d = (x[:, 1:, :-1] - x[:, :-1, :-1]) ** 2 + (x[:, :-1, 1:] - x[:, :-1, :-1]) ** 2
    tv = (d ** 1.25).sum()
    return c_weight * lc + s_weight * ls + v_weight * tv, lc, ls, layers, tv

x0 = content.clone()
total, lc, ls, layers, tv = terms(x0)
result = {"iteration0": {"loss": total.item(), "content": lc.item(), "style": ls.item(), "tv": tv.item(),
                         "style_layers": {k: v.item() for k, v in layers.items()}}}
evaluations = 0

def objective(flat):
    global evaluations
    evaluations += 1
    x = torch.from_numpy(flat.reshape(x0.shape)).to(dtype).requires_grad_(True)
    loss = terms(x)[0]
    loss.backward()
    return loss.item(), x.grad.numpy().ravel().astype(np.float64)

start = time.perf_counter()
r = scipy.optimize.minimize(objective, x0.double().numpy().ravel().copy(), jac=True, method="L-BFGS-B", bounds=[(0, 255)] * x0.numel(),
                            options={"maxiter": iterations, "maxcor": 10, "ftol": 0, "gtol": 0, "maxfun": 10 * iterations})
result["scipy"] = {"iterations": int(r.nit), "evaluations": evaluations, "loss": float(r.fun), "message": str(r.message),
                   "seconds": time.perf_counter() - start, "dtype": str(dtype).removeprefix("torch.")}
result["scipy"]["seconds_per_evaluation"] = result["scipy"]["seconds"] / max(1, evaluations)
text = json.dumps(result, indent=1)
print(text)
if len(arguments) > 4:
    open(arguments[4], "w").write(text + "\n")
