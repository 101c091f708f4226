"""Fuzz benchmark: >= 2,000 mutated DICOM/PNG files through ``load_image``, isolated, timed and memory-capped.

Every input is loaded in a long-lived worker process with ``RLIMIT_AS`` set (default 4 GiB), so a decoder that
segfaults, aborts or allocates without bound kills only its worker; the parent waits at most ``--timeout``
seconds (default 5) per input, then kills the worker and counts a hang. Outcomes:

* ``ok`` -- a record came back; ``image_load_error`` -- the contract's clean failure;
* ``crash`` -- any other exception type, or a worker that died (signal / abort);
* ``hang`` -- no answer within the timeout; ``memory`` -- the memory cap was hit (MemoryError reported as
  ImageLoadError "not enough memory", or a worker killed while allocating).

Mutations (deterministic from ``--seed``): bit flips (header-biased), truncation, 4-byte overwrites with
extreme values, random insertions, and structural edits through pydicom (deleted tags, absurd
Rows/Columns/Frames/Bits, wrong VR) or through the PNG IHDR (absurd size with a valid CRC).

Run from the repository root::

    .venv/bin/python benchmarks/fuzz_imaging.py [--count 2000] [--workers 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import multiprocessing as mp
import random
import resource
import struct
import sys
import tempfile
import threading
import time
import zlib
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
ABSURD = [0, 1, 2, 3, 7, 255, 256, 4095, 32767, 32768, 65535, 65536, 2**31 - 1, 2**32 - 1]
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


def _png_ihdr(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    width, height = rng.choice(ABSURD), rng.choice(ABSURD)
    ihdr = bytearray(seed[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    if rng.random() < 0.3:
        ihdr[12] = rng.choice([1, 2, 4, 8, 16, 32])  # bit depth
    if rng.random() < 0.3:
        ihdr[13] = rng.choice([0, 2, 3, 4, 6, 7])  # colour type
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return "png-ihdr", seed[:12] + bytes(ihdr) + crc + seed[33:]


def mutate(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutated copy of ``seed`` and the mutation's name."""
    data = bytearray(seed)
    kind = rng.choice(["flip", "flip", "truncate", "overwrite", "insert", "structural", "structural"])
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
    if seed.startswith(b"\x89PNG"):
        return _png_ihdr(seed, rng)
    return _dicom_structural(seed, rng)


# --- workers -----------------------------------------------------------------------------------------------


def _worker(conn: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
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


def _seeds() -> list[tuple[str, bytes]]:
    files = sorted((DATA / "dicom").glob("*.dcm")) + sorted((DATA / "cxr").glob("*.png"))
    return [(p.name, p.read_bytes()) for p in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--memory-gib", type=float, default=4.0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    seeds = _seeds()
    # Small seeds are cheap to decode; big JPEG 2000 chest files are drawn less often to keep the run short.
    weights = [1.0 if len(data) < 1_000_000 else 0.35 for _, data in seeds]
    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    problems: list[dict[str, Any]] = []
    peak = [0.0]
    lock = threading.Lock()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        tasks: list[tuple[int, str, str, Path]] = []
        for index in range(args.count):
            name, seed = rng.choices(seeds, weights)[0]
            kind, data = mutate(seed, rng)
            path = Path(folder) / f"input_{index:05d}"
            path.write_bytes(data)
            tasks.append((index, name, kind, path))
        queue = list(reversed(tasks))

        def drain() -> None:
            slot = Slot(int(args.memory_gib * 2**30))
            while True:
                with lock:
                    if not queue:
                        break
                    index, name, kind, path = queue.pop()
                outcome, detail, peak_mb = slot.run(path, args.timeout)
                with lock:
                    counts[outcome] += 1
                    peak[0] = max(peak[0], peak_mb)
                    if outcome == "image_load_error":
                        generic = detail.startswith("file is damaged or not supported")
                        reasons[detail[:80] if generic else detail.split(" (")[0][:80]] += 1
                    elif outcome != "ok":
                        problems.append({"input": index, "seed": name, "mutation": kind, "outcome": outcome})
                        problems[-1]["detail"] = detail
                path.unlink()
            slot.stop()

        threads = [threading.Thread(target=drain) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    summary = {
        "inputs": args.count,
        "ok": counts["ok"],
        "image_load_error": counts["image_load_error"],
        "crashes": counts["crash"],
        "hangs": counts["hang"],
        "memory_blowups": counts["memory"],
        "timeout_s": args.timeout,
        "memory_cap_gib": args.memory_gib,
        "worker_peak_rss_mb": round(peak[0], 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "top_error_reasons": dict(reasons.most_common(12)),
        "problems": problems[:20],
    }
    print(json.dumps(summary, indent=2))
    return 0 if not (counts["crash"] or counts["hang"] or counts["memory"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
