"""Benchmark: time to load a 2000x2000 16-bit DICOM into a display-ready ImageRecord.

Writes synthetic files with pydicom into a temporary folder (uncompressed 12-bit-in-16 MONOCHROME1 with a
window, the same without a window so the automatic window runs, and RLE Lossless), loads each ``--repeat``
times with :func:`carzero_viewer.imaging.load_image` (decode + modality LUT + VOI presets + model input + hash)
and prints one JSON object with the median, min and max in seconds. Target: median < 1 s on a 2-core machine.

Run from the repository root::

    .venv/bin/python benchmarks/imaging_load.py [--repeat 15] [--size 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_dicom(path: Path, size: int, *, window: bool, rle: bool = False) -> Path:
    """A chest-like 12-bit ramp with noise, MONOCHROME1, optionally windowed / RLE-compressed."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    pixels = (2048 + 1500 * np.sin(xx / size * np.pi) * np.cos(yy / size * np.pi / 2)).astype(np.float64)
    pixels += rng.normal(0, 40, (size, size))
    pixels = np.clip(pixels, 0, 4095).astype(np.uint16)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept = "1", "0"
    ds.PixelSpacing = ["0.15", "0.15"]
    if window:
        ds.WindowCenter, ds.WindowWidth = ["2048", "1500"], ["4096", "1000"]
    ds.PixelData = pixels.tobytes()
    if rle:
        ds.compress(RLELossless)
    ds.preamble = b"\0" * 128
    ds.save_as(path, enforce_file_format=True)
    return path


def time_loads(path: Path, repeat: int) -> dict[str, float]:
    from carzero_viewer.imaging import load_image

    load_image(path)  # warm-up: imports, plugin discovery
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        load_image(path)
        times.append(time.perf_counter() - started)
    return {
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "max_s": round(max(times), 4),
        "file_mb": round(path.stat().st_size / 1e6, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    results: dict[str, object] = {
        "size": f"{args.size}x{args.size} uint16 (12 bits stored)",
        "repeat": args.repeat,
    }
    with tempfile.TemporaryDirectory() as folder:
        cases = {
            "uncompressed_windowed": write_dicom(Path(folder) / "a.dcm", args.size, window=True),
            "uncompressed_auto_window": write_dicom(Path(folder) / "b.dcm", args.size, window=False),
            "rle_windowed": write_dicom(Path(folder) / "c.dcm", args.size, window=True, rle=True),
        }
        for name, path in cases.items():
            results[name] = time_loads(path, args.repeat)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
