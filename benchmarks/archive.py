"""Archive scoring, local engine next to Ray on this machine, and the per-stage costs; prints JSON.

    .venv/bin/python benchmarks/archive.py [--images 200] [--weights DIR] [--images-from DIR] [--skip-ray]
        [--stages-only] [--stage-images 8]

The model is the random full-size CARZero (``weights demo``: ViT-B/16 + BERT-base + fusion, fp32, CPU) unless
``--weights`` names another folder. The images are the NIH ChestX-ray14 PNGs of the shared data set
(``../shared/data/cxr/nih_chestxray14_*``, 1024 x 1024), linked under new names and repeated until there are
``--images`` of them; each image comes back only after every other one (55 distinct), beyond the engine's
16-entry feature cache, so every file is encoded. 14 prompts: the ChestX-ray14 findings through the template.

Each engine runs the real command line (``score DIR --prompts-file P --out T.parquet [--engine ray]``) in a
subprocess, twice: over one image (the start-up: interpreter, model load, Ray start-up and its actor's model
load, prompt encoding) and over all of them. ``steady_images_per_s`` = (N - 1) / (wall_N - wall_1), the rate
once started; ``end_to_end_images_per_s`` = N / wall_N. ``peak_rss_mb`` is the highest sum of the resident
memory of the command's process tree (Ray's GCS, raylet and workers are its descendants), sampled every
0.2 s; it counts shared pages once per process, so it overstates Ray's (the object store is shared memory).
The two tables are compared row by row (max deviation relative to max(1, |score|)).

``stages`` times each stage of one image in this process, for docs/scaling.md: decode (hash + PNG decode to
the 8-bit model input), ViT (image encoding, batches of 4), fusion (14 prompts, both directions), write (one
Parquet part of 256 images x 14 rows, per image). The load average before and after says how busy the machine
was (other jobs share these CPUs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _shared import MODEL, machine, weights_folder

ROOT = Path(__file__).resolve().parents[1]
SHARED_IMAGES = ROOT.parent / "shared" / "data" / "cxr"
FINDINGS = (
    "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax",
    "consolidation", "edema", "emphysema", "fibrosis", "pleural thickening", "hernia",
)  # fmt: skip


def link_images(source: Path, folder: Path, count: int) -> list[Path]:
    """``count`` links to the NIH PNGs under ``source``, cycling through them."""
    originals = sorted(source.glob("nih_chestxray14_*/images/*.png"))
    if not originals:
        sys.exit(f"no NIH ChestX-ray14 PNGs under {source} (--images-from)")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"image{index:04d}.png"
        path.symlink_to(originals[index % len(originals)])
        paths.append(path)
    return paths


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_command(args: list[str]) -> dict[str, Any]:
    """Wall time and peak process-tree RSS of one ``carzero-viewer`` command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "carzero_viewer", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"command failed ({process.returncode}): {' '.join(args)}\n{err.decode()[-2000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak / 1024)}


def engine_run(engine: str, images: list[Path], weights: Path, prompts: Path, work: Path) -> dict[str, Any]:
    """Start-up (one image), then all images, with one engine; the table of the full run is kept."""
    results = {}
    for label, subset in (("one", images[:1]), ("all", images)):
        folder = work / f"{engine}-{label}"
        folder.mkdir()
        for path in subset:
            (folder / path.name).symlink_to(path.resolve())
        out = work / f"{engine}-{label}.parquet"
        args = [
            "score",
            str(folder),
            "--prompts-file",
            str(prompts),
            "--weights",
            str(weights),
            "--out",
            str(out),
        ]
        results[label] = run_command(
            [*args, "--device", "cpu", *(["--engine", "ray"] if engine == "ray" else [])]
        )
    count = len(images)
    steady = (count - 1) / max(1e-9, results["all"]["wall_s"] - results["one"]["wall_s"])
    return {
        "startup_s": results["one"]["wall_s"],
        "wall_s": results["all"]["wall_s"],
        "end_to_end_images_per_s": round(count / results["all"]["wall_s"], 3),
        "steady_images_per_s": round(steady, 3),
        "peak_rss_mb": max(results["one"]["peak_rss_mb"], results["all"]["peak_rss_mb"]),
    }


def compare_tables(a: Path, b: Path) -> dict[str, Any]:
    import pandas as pd

    left = pd.read_parquet(a).sort_values(["path", "prompt"]).reset_index(drop=True)
    right = pd.read_parquet(b).sort_values(["path", "prompt"]).reset_index(drop=True)
    left["path"] = left["path"].map(lambda p: Path(p).name)
    right["path"] = right["path"].map(lambda p: Path(p).name)
    same_keys = left[["path", "content_sha256", "prompt"]].equals(right[["path", "content_sha256", "prompt"]])
    scale = max(1.0, float(left["score"].abs().max()))
    worst = max(float((left[c] - right[c]).abs().max()) for c in ("score", "i2t", "t2i")) / scale
    return {"rows": len(left), "same_keys": same_keys, "max_relative_deviation": worst}


def stage_costs(images: list[Path], weights: Path, work: Path, repeats: int = 8) -> dict[str, float]:
    """Seconds per image of each stage, in this process (fp32, CPU, the machine's threads)."""
    from carzero_viewer.archive import ArchiveMeta, WorkItem, open_sink
    from carzero_viewer.inference.archive import BatchScorer, RowSpec, decode_item
    from carzero_viewer.inference.device import select_device
    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.model.loader import load_model
    from carzero_viewer.paths import resolve_weights_folder

    spec = RowSpec(FINDINGS, "There is {}.", raw=False)
    start = time.perf_counter()
    decoded = [decode_item(WorkItem(str(p)), spec) for p in images[:repeats]]
    decode = (time.perf_counter() - start) / repeats
    device = select_device("cpu", "fp32")
    engine = InferenceEngine(
        load_model(resolve_weights_folder(weights), device.device), device, image_cache_size=0
    )
    scorer = BatchScorer(engine, spec)
    grays = [d.gray for d in decoded if d.gray is not None]
    engine.score_images(engine.encode_images(grays[:4]), scorer.prompts, word_maps=False)  # warm-up (oneDNN)
    start = time.perf_counter()
    features = [f for i in range(0, len(grays), 4) for f in engine.encode_images(grays[i : i + 4])]
    vit = (time.perf_counter() - start) / len(grays)
    start = time.perf_counter()
    for i in range(0, len(features), 4):
        engine.score_images(features[i : i + 4], scorer.prompts, word_maps=False)
    fusion = (time.perf_counter() - start) / len(features)
    rows = [r for outcome in scorer.outcomes(decoded[:4]) for r in outcome.rows]
    meta = ArchiveMeta("0" * 64, "bench", "fp32", "app", spec.template, "prompt")
    sink = open_sink(work / "stages.parquet", meta)
    sink.add([{**row, "path": f"{row['path']}#{i}"} for i in range(64) for row in rows])  # 256 images
    start = time.perf_counter()
    sink.flush()
    write = (time.perf_counter() - start) / 256
    return {
        k: round(v, 5) for k, v in {"decode": decode, "vit": vit, "fusion": fusion, "write": write}.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--weights", type=Path, help="weights folder (default: random full-size weights)")
    parser.add_argument("--images-from", type=Path, default=SHARED_IMAGES)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument(
        "--stages-only", action="store_true", help="only the per-stage costs (no engine runs)"
    )
    parser.add_argument("--stage-images", type=int, default=8, help="images timed per stage (default 8)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="carzero-archive-bench-") as tmp:
        work = Path(tmp)
        weights = weights_folder(args.weights, work)
        images = link_images(args.images_from, work / "images", args.images)
        prompts = work / "prompts.json"
        prompts.write_text(json.dumps(list(FINDINGS)))
        report: dict[str, Any] = {
            "benchmark": "archive",
            "model": MODEL if args.weights is None else str(args.weights),
            "images": args.images,
            "prompts": len(FINDINGS),
            "machine": machine(),
            "load_average_before": [round(x, 2) for x in load_before],
            "stages_s_per_image": stage_costs(images, weights, work, args.stage_images),
        }
        if not args.stages_only:
            report["local"] = engine_run("local", images, weights, prompts, work)
        if not (args.skip_ray or args.stages_only):
            report["ray"] = engine_run("ray", images, weights, prompts, work)
            report["ray_vs_local"] = compare_tables(work / "ray-all.parquet", work / "local-all.parquet")
        report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
