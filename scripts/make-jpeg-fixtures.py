#!/usr/bin/env python3
"""Writes the JPEG fixtures in Tests/EngineTests/Fixtures with Pillow (pip install pillow):
the same 16×16 picture as a progressive RGB JPEG, a one-component greyscale JPEG and an
Adobe CMYK JPEG. Run once; the files are committed."""
import pathlib
from PIL import Image

out = pathlib.Path(__file__).resolve().parent.parent / "Tests/EngineTests/Fixtures"
picture = Image.new("RGB", (16, 16))
picture.putdata([(x * 16, y * 16, 128) for y in range(16) for x in range(16)])
picture.save(out / "progressive.jpg", quality=95, progressive=True)
picture.convert("L").save(out / "grey.jpg", quality=95)
picture.convert("CMYK").save(out / "cmyk.jpg", quality=95)
