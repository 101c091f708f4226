"""Fuzz benchmark: >= 2,000 mutated image files through ``load_image``, isolated, timed and memory-capped.

Seeds: the DICOMs of ``tests/data/dicom`` (native, JPEG baseline/extended/lossless, JPEG 2000 lossless and
lossy), small JPEG-LS / JPEG 2000 DICOMs from the pydicom wheel, the PNGs of ``tests/data/cxr``, and JPEG
(grey, colour), TIFF, BMP and 16-bit PNG/TIFF files made from a chest PNG (``imaging_seeds.py``).

Every input is loaded in a long-lived worker process with ``RLIMIT_AS`` set (default 2.5 GiB, the issue's
acceptance bound for peak memory), so a decoder that
segfaults, aborts or allocates without bound kills only its worker; the parent waits at most ``--timeout``
seconds (default 10: the machine may be shared) per input, then kills the worker and counts a hang. Outcomes:

* ``ok`` -- a record came back; ``image_load_error`` -- the contract's clean failure;
* ``crash`` -- any other exception type, or a worker that died (signal / abort);
* ``hang`` -- no answer within the timeout; ``memory`` -- the memory cap was hit (MemoryError reported as
  ImageLoadError "not enough memory", or a worker killed while allocating).

Mutations (deterministic from ``--seed``): bit flips (header-biased), truncation, 4-byte overwrites with
extreme values, random insertions, structural edits through pydicom (deleted tags, absurd
Rows/Columns/Frames/Bits, wrong VR), and header mutations aimed at the fields decoders size buffers from:
JPEG 2000 SIZ fields, JPEG/JPEG-LS frame-header fields and segment lengths, JP2 box lengths (inside
re-encapsulated DICOM frames and in raster JPEGs), the PNG IHDR (valid CRC), TIFF IFD entries, BMP header.

Run from the repository root::

    .venv/bin/python benchmarks/fuzz_imaging.py [--count 3000] [--workers 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import multiprocessing as mp
import os
import random
import re
import resource
import struct
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from imaging_seeds import ABSURD, header_mutation, pydicom_seeds, raster_seeds

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
STRUCTURAL_TAGS = [
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "NumberOfFrames",
    "PlanarConfiguration",
    "WindowCenter",
    "WindowWidth",
    "RescaleSlope",
    "RescaleIntercept",
    "VOILUTSequence",
    "ModalityLUTSequence",
    "PixelSpacing",
    "PixelData",
]


# --- mutations ---------------------------------------------------------------------------------------------


def _dicom_structural(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(seed), force=True)
    present = [t for t in STRUCTURAL_TAGS if t in ds]
    if not present:
        return "structural-none", seed
    tag = rng.choice(present)
    elem = ds[tag]
    action = rng.choice(["delete", "absurd", "wrong_vr"])
    if action == "delete":
        del ds[tag]
    elif action == "absurd":
        value = rng.choice(ABSURD)
        if elem.VR == "US":
            elem.value = value % 65536
        elif elem.VR == "SS":
            elem.value = (value % 65536) - 32768
        elif elem.VR in ("IS", "DS"):
            elem.value = str(rng.choice([value, -value, 0]))
        elif elem.VR in ("OB", "OW", "OB or OW"):
            elem.value = bytes(value % 1000)
        elif elem.VR == "SQ":
            elem.value = []
        else:
            elem.value = rng.choice(["", "X", "MONOCHROME3", "YBR_FULL", "PALETTE COLOR", "RGB"])
    else:
        elem.VR = rng.choice(["US", "SS", "DS", "LO", "OB", "FL", "UL", "SQ"])
    buffer = io.BytesIO()
    try:
        ds.save_as(buffer)
    except Exception:
        data = bytearray(seed)
        data[rng.randrange(len(data))] ^= 0xFF
        return f"structural-{action}-unwritable", bytes(data)
    return f"structural-{action}-{tag}", buffer.getvalue()


def mutate(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutated copy of ``seed`` and the mutation's name."""
    data = bytearray(seed)
    kind = rng.choice(["flip", "flip", "truncate", "overwrite", "insert", "structural", "header", "header"])
    if kind == "flip":
        for _ in range(rng.randint(1, 32)):
            limit = 4096 if rng.random() < 0.6 else len(data)
            data[rng.randrange(min(limit, len(data)))] ^= 1 << rng.randrange(8)
        return kind, bytes(data)
    if kind == "truncate":
        return kind, bytes(data[: rng.randrange(len(data))])
    if kind == "overwrite":
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(min(len(data), 8192) - 4)
            data[position : position + 4] = struct.pack("<I", rng.choice(ABSURD))
        return kind, bytes(data)
    if kind == "insert":
        position = rng.randrange(len(data))
        return kind, bytes(data[:position]) + rng.randbytes(rng.randint(1, 64)) + bytes(data[position:])
    mutated = header_mutation(seed, rng) if kind == "header" or not _is_dicom(seed) else None
    return mutated if mutated is not None else _dicom_structural(seed, rng)


def _is_dicom(seed: bytes) -> bool:
    return seed[128:132] == b"DICM"


# --- workers -----------------------------------------------------------------------------------------------


def _worker(conn: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # libpng/libjpeg/libtiff print to file descriptor 2 from C; thousands of damaged inputs would bury the summary.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    sys.path.insert(0, str(ROOT))
    from carzero_viewer.errors import ImageLoadError
    from carzero_viewer.imaging import load_image

    while True:
        path = conn.recv()
        if path is None:
            return
        try:
            load_image(path)
            outcome, detail = "ok", ""
        except ImageLoadError as exc:
            memory = "memory" in exc.reason
            outcome, detail = ("memory" if memory else "image_load_error"), exc.reason[:160]
        except BaseException as exc:
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}"[:300]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send((outcome, detail, peak_mb))


class Slot:
    """One worker process and the pipe to it; restarted after a hang or a death."""

    def __init__(self, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.start()

    def start(self) -> None:
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, self.memory_bytes), daemon=True)
        self.process.start()

    def run(self, path: Path, timeout: float) -> tuple[str, str, float]:
        self.conn.send(str(path))
        if not self.conn.poll(timeout):
            self.process.kill()
            self.process.join()
            self.start()
            return "hang", f"no answer within {timeout} s", 0.0
        try:
            result: tuple[str, str, float] = self.conn.recv()
        except (EOFError, OSError):
            self.process.join()
            code = self.process.exitcode
            self.start()
            return "crash", f"worker died (exit code {code})", 0.0
        return result

    def stop(self) -> None:
        self.conn.send(None)
        self.process.join(5)


class Tally:
    """Outcome counts overall, per mutation family and per seed; error reasons with numbers folded to N."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.reasons: collections.Counter[str] = collections.Counter()
        self.by_family: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.by_seed: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.problems: list[dict[str, Any]] = []
        self.peak_mb = 0.0

    def add(self, index: int, seed: str, kind: str, outcome: str, detail: str, peak_mb: float) -> None:
        self.counts[outcome] += 1
        self.by_family[_family(kind)][outcome] += 1
        self.by_seed[seed][outcome] += 1
        self.peak_mb = max(self.peak_mb, peak_mb)
        if outcome == "image_load_error":
            generic = detail.startswith("file is damaged or not supported")
            reason = detail[:80] if generic else detail.split(" (", maxsplit=1)[0][:80]
            self.reasons[re.sub(r"\d+", "N", reason)] += 1
        elif outcome != "ok":
            self.problems.append(
                {"input": index, "seed": seed, "mutation": kind, "outcome": outcome, "detail": detail}
            )

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.counts["ok"],
            "image_load_error": self.counts["image_load_error"],
            "crashes": self.counts["crash"],
            "hangs": self.counts["hang"],
            "memory_blowups": self.counts["memory"],
            "worker_peak_rss_mb": round(self.peak_mb, 1),
            "top_error_reasons": dict(self.reasons.most_common(25)),
            "by_mutation_family": {k: dict(v) for k, v in sorted(self.by_family.items())},
            "by_seed": {k: dict(v) for k, v in sorted(self.by_seed.items())},
            "problems": self.problems[:20],
        }


def _family(kind: str) -> str:
    """Mutation family for the summary: 'dicom-j2k-siz-Ysiz' -> 'dicom-j2k-siz', 'tiff-tag-256' -> 'tiff-tag'."""
    parts = kind.split("+", maxsplit=1)[0].split("-")
    return "-".join(parts[:3] if parts[0] == "dicom" else parts[:2])


def _seeds() -> list[tuple[str, bytes]]:
    files = sorted((DATA / "dicom").glob("*.dcm")) + sorted((DATA / "cxr").glob("*.png"))
    return [(p.name, p.read_bytes()) for p in files] + pydicom_seeds() + raster_seeds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--memory-gib", type=float, default=2.5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    seeds = _seeds()
    # Small seeds are cheap to decode; big JPEG 2000 chest files are drawn less often to keep the run short.
    weights = [1.0 if len(data) < 1_000_000 else 0.35 for _, data in seeds]
    rng = random.Random(args.seed)
    tally = Tally()
    lock = threading.Lock()
    started = time.perf_counter()
    next_index = [0]
    with tempfile.TemporaryDirectory() as folder:

        def drain() -> None:
            slot = Slot(int(args.memory_gib * 2**30))
            while True:
                with lock:  # inputs are drawn in index order from one generator: the run is reproducible
                    index = next_index[0]
                    if index >= args.count:
                        break
                    next_index[0] += 1
                    name, seed = rng.choices(seeds, weights)[0]
                    kind, data = mutate(seed, rng)
                path = Path(folder) / f"input_{index:05d}"
                path.write_bytes(data)
                outcome, detail, peak_mb = slot.run(path, args.timeout)
                with lock:
                    tally.add(index, name, kind, outcome, detail, peak_mb)
                path.unlink()
            slot.stop()

        threads = [threading.Thread(target=drain) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    summary = {
        "inputs": args.count,
        "timeout_s": args.timeout,
        "memory_cap_gib": args.memory_gib,
        "wall_s": round(time.perf_counter() - started, 1),
        **tally.summary(),
    }
    print(json.dumps(summary, indent=2))
    return 0 if not (tally.counts["crash"] or tally.counts["hang"] or tally.counts["memory"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
