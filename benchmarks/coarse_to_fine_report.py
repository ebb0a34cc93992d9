"""Compares coarse-to-fine renders with a single-scale one from their log.jsonl files.
  coarse_to_fine_report.py OUT SINGLE NAME...   (benchmarks/coarse-to-fine.sh runs it; each NAME's log in OUT/NAME-result/)
For each NAME: its first full-size iteration, whether and when it reached the single-scale
run's final loss, and, at its end, how long the single-scale run took to reach the same loss.
If OUT/SINGLE-result/frames/ holds frames, also where in the spectrum each stretch of
iterations changed the single-scale picture (shares of the change's energy by period)."""
import json, os, sys

out, single_name, names = sys.argv[1], sys.argv[2], sys.argv[3:]

def log(name):
    return [json.loads(line) for line in open(f"{out}/{name}-result/log.jsonl")]

single = log(single_name)
target = single[-1]
print(f"{single_name}: {target['iteration']} iterations at {target['scale']} px, "
      f"final loss {target['loss']:.4g} after {target['seconds']:.0f} s")
for name in names:
    records = log(name)
    full = max(r["scale"] for r in records)
    at_full = [r for r in records if r["scale"] == full]
    last = records[-1]
    print(f"{name} {sorted({r['scale'] for r in records})} px: full size from iteration "
          f"{at_full[0]['iteration']} after {at_full[0]['seconds']:.0f} s")
    reached = next((r for r in at_full if r["loss"] <= target["loss"]), None)
    if reached:
        print(f"  reached the single-scale loss at iteration {reached['iteration']} after {reached['seconds']:.0f} s: "
              f"{reached['seconds'] / target['seconds']:.2f} of the single-scale time")
    else:
        print(f"  did not reach it: final loss {last['loss']:.4g} after {last['seconds']:.0f} s")
    same = next((r for r in single if r["loss"] <= last["loss"]), None)
    if same:
        print(f"  the single-scale run reached its final loss at iteration {same['iteration']} after "
              f"{same['seconds']:.0f} s: time ratio {last['seconds'] / same['seconds']:.2f}")

frames = f"{out}/{single_name}-result/frames"
if os.path.isdir(frames):
    import numpy as np
    from PIL import Image
    shown = sorted(int(n.split(".")[0]) for n in os.listdir(frames))
    picture = lambda i: np.asarray(Image.open(f"{frames}/{i:04d}.png").convert("RGB"), dtype=float)
    bands = [(0, 1 / 32), (1 / 32, 1 / 16), (1 / 16, 1 / 8), (1 / 8, 1.0)]
    print("what each stretch of single-scale iterations changed, by period: >32 px, 16-32, 8-16, <8 px")
    stretch = [i for i in shown if i % 100 == 0]
    for a, b in zip(stretch, stretch[1:]):
        change = picture(b) - picture(a)
        power = np.abs(np.fft.fft2(change, axes=(0, 1))) ** 2
        fy = np.fft.fftfreq(change.shape[0])[:, None]
        fx = np.fft.fftfreq(change.shape[1])[None, :]
        radius = np.broadcast_to(np.sqrt(fx ** 2 + fy ** 2)[:, :, None], power.shape)
        shares = [power[(radius >= lo) & (radius < hi)].sum() / power.sum() for lo, hi in bands]
        print(f"  {a:4d}→{b:4d}: rms {np.sqrt((change ** 2).mean()):5.1f}  " + "  ".join(f"{s:.2f}" for s in shares))
