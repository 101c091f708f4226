"""Window/level frame rate of the image canvas on a 2000x2000 16-bit radiograph.

Offscreen by default (``QT_QPA_PLATFORM=offscreen`` unless a display is set). Writes a synthetic 12-bit
DICOM (a smooth "chest-like" gradient with noise) to a temporary folder, loads it through the normal
``load_image`` pipeline, shows it in a 1200x1000 :class:`ImageCanvas`, then drives 120 window/level changes
through :meth:`ImageCanvas.drag_window` -- the code path right-drag uses -- each followed by
``processEvents()`` and a forced synchronous repaint of the view. Prints JSON with frames per second and
the median/p95 frame time (target: >= 30 fps).

    python benchmarks/gui_window_level.py [--frames 120]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def write_dicom(path: Path, size: int = 2000) -> None:
    """A 12-bit-in-16 MONOCHROME2 DICOM with a smooth gradient, a round "body" and noise."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    body = np.exp(-((yy - 0.5) ** 2 + (xx - 0.5) ** 2) / 0.08)
    noise = np.random.default_rng(0).normal(0.0, 60.0, (size, size))
    pixels = np.clip(400 + 3000 * body + 300 * yy + noise, 0, 4095).astype(np.uint16)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = size, size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelSpacing = [0.15, 0.15]
    ds.PixelData = pixels.tobytes()
    ds.save_as(str(path), enforce_file_format=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from carzero_viewer.imaging import load_image
    from carzero_viewer.ui.app import configure_pyqtgraph
    from carzero_viewer.ui.canvas import ImageCanvas

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_pyqtgraph()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.dcm"
        write_dicom(path)
        t0 = time.perf_counter()
        record = load_image(path)
        load_s = time.perf_counter() - t0

    canvas = ImageCanvas()
    canvas.resize(1200, 1000)
    canvas.show()
    t0 = time.perf_counter()
    canvas.set_record(record)
    app.processEvents()
    canvas.graphics.viewport().repaint()
    first_frame_s = time.perf_counter() - t0

    times = []
    for i in range(args.frames):
        # A back-and-forth drag: width sweeps, centre wanders (like a user's hand).
        dx = 6.0 if (i // 30) % 2 == 0 else -6.0
        dy = 3.0 if (i // 20) % 2 == 0 else -3.0
        start = time.perf_counter()
        canvas.drag_window(dx, dy)
        app.processEvents()
        canvas.graphics.viewport().repaint()
        times.append(time.perf_counter() - start)

    frame_ms = np.asarray(times) * 1000.0
    result = {
        "image": list(record.shape),
        "canvas": [canvas.width(), canvas.height()],
        "platform": QApplication.platformName(),
        "frames": args.frames,
        "fps": round(float(args.frames / np.sum(times)), 1),
        "median_frame_ms": round(float(np.median(frame_ms)), 2),
        "p95_frame_ms": round(float(np.percentile(frame_ms, 95)), 2),
        "max_frame_ms": round(float(frame_ms.max()), 2),
        "load_s": round(load_s, 3),
        "set_record_first_frame_s": round(first_frame_s, 3),
        "final_window": [round(v, 1) for v in canvas.window()],
    }
    print(json.dumps(result, indent=2))
    canvas.close()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
