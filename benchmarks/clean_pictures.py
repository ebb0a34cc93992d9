#!/usr/bin/python3
"""Measures two faults of style-transfer results, on the picture's luma (Rec. 601, 0..255).

Axis share: the share of the gradient energy (3x3 Sobel on the interior, gx^2 + gy^2) at pixels
whose gradient direction is within 5 degrees of horizontal or vertical. Straight dark edges in
the style photograph (a scan border, a frame) enter its Gram statistics, and the render then
paints straight horizontal and vertical lines and rectangular patches everywhere. Isotropic
texture gives about 40/360 = 0.11; a photograph of the built world a little more. A result should
be close to its content photograph (measured at the result's size).

Ring: mean luma of the outer 3 px ring minus that of the next 6 px (3..8 px from each edge), in
levels. A dark scan border around the style photograph shows as a dark frame around the result
(negative); a clean picture is within a few levels of 0.

Usage (Debian's numpy and PIL: scripts/install-deps python3-numpy python3-pil):
  /usr/bin/python3 benchmarks/clean_pictures.py [--json] IMAGE...
      a markdown table: name, size, axis share, ring difference
  /usr/bin/python3 benchmarks/clean_pictures.py [--json] --check RESULT --content CONTENT [--cropped CROPPED]
      the figures and the thresholds: |axis(result) - axis(content)| <= 0.05,
      |axis(result) - axis(cropped)| <= 0.03 (a render with the style's border cropped by hand),
      |ring(result)| <= 10; exit status 1 if one fails. CONTENT and CROPPED are resized to
      RESULT's size (LANCZOS) first.
"""
import argparse, json, os, sys
import numpy as np
from PIL import Image

AXIS_TOLERANCE = 5.0  # degrees
OUTER, INNER = 3, 6   # px


def luma(image):
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def axis_share(y):
    """Share of the Sobel gradient energy within AXIS_TOLERANCE degrees of 0, 90, 180 or 270."""
    gx = (y[:-2, 2:] + 2 * y[1:-1, 2:] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[1:-1, :-2] + y[2:, :-2])
    gy = (y[2:, :-2] + 2 * y[2:, 1:-1] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[:-2, 1:-1] + y[:-2, 2:])
    energy = gx ** 2 + gy ** 2
    off_axis = np.degrees(np.arctan2(gy, gx)) % 90  # 0 and 90 both mean on an axis
    near = (off_axis <= AXIS_TOLERANCE) | (off_axis >= 90 - AXIS_TOLERANCE)
    total = energy.sum()
    return float(energy[near].sum() / total) if total > 0 else 0.0


def ring_difference(y):
    """Mean of the outer OUTER px ring minus the mean of the next INNER px."""
    h, w = y.shape
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    edge = np.minimum(np.minimum(rows, h - 1 - rows), np.minimum(cols, w - 1 - cols))
    return float(y[edge < OUTER].mean() - y[(edge >= OUTER) & (edge < OUTER + INNER)].mean())


def measure(path, size=None):
    image = Image.open(path)
    if size and image.size != size:
        image = image.convert("RGB").resize(size, Image.LANCZOS)
    y = luma(image)
    return {"name": os.path.basename(path), "size": f"{image.size[0]}x{image.size[1]}",
            "axis_share": round(axis_share(y), 4), "ring": round(ring_difference(y), 2)}


def table(rows):
    lines = ["| image | size | axis share | ring |", "|---|---|---:|---:|"]
    lines += [f"| {r['name']} | {r['size']} | {r['axis_share']:.3f} | {r['ring']:.1f} |" for r in rows]
    return "\n".join(lines)


def check(args):
    result = measure(args.check)
    size = Image.open(args.check).size
    rows = [dict(result, role="result"), dict(measure(args.content, size), role="content")]
    tests = [("|axis(result) - axis(content)| <= 0.05", abs(result["axis_share"] - rows[1]["axis_share"]), 0.05)]
    if args.cropped:
        rows.append(dict(measure(args.cropped, size), role="cropped"))
        tests.append(("|axis(result) - axis(cropped)| <= 0.03", abs(result["axis_share"] - rows[2]["axis_share"]), 0.03))
    tests.append(("|ring(result)| <= 10", abs(result["ring"]), 10.0))
    checks = [{"test": name, "value": round(value, 4), "passed": value <= limit} for name, value, limit in tests]
    if args.json:
        print(json.dumps({"images": rows, "checks": checks}, indent=2))
    else:
        print(table([dict(r, name=f"{r['role']}: {r['name']}") for r in rows]) + "\n")
        for c in checks:
            print(f"{'pass' if c['passed'] else 'FAIL'}  {c['test']}  ({c['value']:.3f})")
    return 0 if all(c["passed"] for c in checks) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="*", metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    parser.add_argument("--check", metavar="RESULT", help="check a result against the thresholds")
    parser.add_argument("--content", metavar="CONTENT_PHOTO", help="the result's content photograph (with --check)")
    parser.add_argument("--cropped", metavar="HAND_CROPPED_RESULT", help="a render with the style's border cropped")
    args = parser.parse_args()
    if args.check:
        if not args.content or args.images:
            parser.error("--check RESULT needs --content CONTENT_PHOTO and no other images")
        return check(args)
    if not args.images:
        parser.error("give images, or --check RESULT --content CONTENT_PHOTO")
    rows = [measure(path) for path in args.images]
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
