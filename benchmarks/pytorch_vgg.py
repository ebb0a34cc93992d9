"""PyTorch side of compare-pytorch.sh: the same VGG16 (weights read from styled's
safetensors file), forward to block5_conv1 and backward to the image, timed.
Usage: pytorch_vgg.py WEIGHTS.safetensors SIZE RUNS"""
import json, resource, struct, sys, time
import numpy as np
import torch

torch.set_num_threads(2)  # Debian's build runs one thread unless told
path, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
payload = raw[8 + n:]

def tensor(name):
    info = header[name]
    a, b = info["data_offsets"]
    return torch.from_numpy(np.frombuffer(payload[a:b], dtype="<f4").reshape(info["shape"]).copy())

blocks = [2, 2, 3, 3, 3]
layers, flops, h = [], 0, size
for b, count in enumerate(blocks, 1):
    if b > 1:
        layers.append(torch.nn.MaxPool2d(2))
        h //= 2
    for k in range(1, count + 1):
        w = tensor(f"block{b}_conv{k}.weight")
        conv = torch.nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
        conv.weight.data, conv.bias.data = w, tensor(f"block{b}_conv{k}.bias")
        conv.weight.requires_grad_(False); conv.bias.requires_grad_(False)
        layers += [conv, torch.nn.ReLU()]
        flops += 2 * w.shape[0] * w.shape[1] * 9 * h * h
        if (b, k) == (5, 1):
            break
net = torch.nn.Sequential(*layers).eval()
x = (torch.rand(1, 3, size, size) * 255).requires_grad_(True)
times = []
for run in range(runs + 1):
    start = time.perf_counter()
    y = net(x)
    y.backward(y.detach())
    x.grad = None
    if run:
        times.append(time.perf_counter() - start)
median = sorted(times)[len(times) // 2]
print(json.dumps({"median_seconds": median, "gflops": 2 * flops / median / 1e9, "threads": torch.get_num_threads(),
                  "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "torch": torch.__version__}))
