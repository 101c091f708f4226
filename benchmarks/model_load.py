"""Model load time and memory, ours next to the official way, each in a fresh process; prints JSON.

    .venv/bin/python benchmarks/model_load.py [--repeats 3] [--weights-safetensors DIR --weights-ckpt DIR]

Each probe is a new Python process (a cold interpreter, warm OS file cache after the first run) that reports:

* ``import_s``: importing torch and what the loader needs (the official way also imports transformers, whose
  ``BertModel`` it builds);
* ``load_s``: from the weights file to a model ready to run;
* ``ready_s``: both together, i.e. process start to a usable model;
* ``rss_mb`` / ``peak_rss_mb``: resident memory with the model loaded, and its high-water mark;
* each figure is the median of ``--repeats`` processes, ``min`` the best of them;
* ``fingerprint``: the float64 sum of every weight that runs (BERT's pooler excluded, which the official model
  also loads), to show that all probes loaded the same numbers.

Probes: ``ours_safetensors`` and ``ours_ckpt`` (meta-device construction, tensors assigned in place; the ckpt
through the restricted unpickler) and ``official_ckpt`` (the original code's way: ``torch.load`` of the whole
pickle, transformers' ``BertModel`` and the other modules built with their random initialisation, then the
state dict copied in).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _shared import add_common_options, machine, weights_folder

COMMON = """
import json, resource, sys, time
t0 = time.perf_counter()
"""
REPORT = """
fingerprint = float(sum(
    v.double().sum() for k, v in model.state_dict().items() if v.is_floating_point() and ".pooler." not in k
))
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "ready_s": t2 - t0, "rss_mb": rss,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "fingerprint": fingerprint}))
"""
OURS = (
    COMMON
    + """
from pathlib import Path
from carzero_viewer.model.loader import load_model
from carzero_viewer.paths import resolve_weights_folder
t1 = time.perf_counter()
model = load_model(resolve_weights_folder(Path(sys.argv[1]))).model
t2 = time.perf_counter()
"""
    + REPORT
)
OFFICIAL = (
    COMMON
    + """
from pathlib import Path
import torch
import transformers
from carzero_viewer.model.checkpoint import RawWeights, config_for
from carzero_viewer.model.fusion import FusionModule
from carzero_viewer.model.bert_folder import load_bert_config
from carzero_viewer.model.vision import ImageEncoder
from carzero_viewer.paths import resolve_weights_folder
t1 = time.perf_counter()
location = resolve_weights_folder(Path(sys.argv[1]))
checkpoint = torch.load(location.checkpoint, map_location="cpu", weights_only=False)
state = {k.removeprefix("CARZero."): v for k, v in checkpoint["state_dict"].items()}
# The architecture from the loaded tensors' shapes (the original code reads it from its YAML file).
hparams = checkpoint.get("hyper_parameters", {})
if not isinstance(hparams, dict):  # the released file pickles an OmegaConf DictConfig; the reader wants plain data
    from omegaconf import OmegaConf
    hparams = OmegaConf.to_container(hparams)
raw = RawWeights(tensors=state, hparams=hparams)
config = config_for(raw, load_bert_config(location.bert_dir), location.checkpoint)
model = torch.nn.Module()
model.text_encoder = torch.nn.Module()
model.text_encoder.model = transformers.BertModel(transformers.BertConfig(**config.text.bert))
model.img_encoder = ImageEncoder(config.vision)
model.fusion_module = FusionModule(config.fusion)
model.load_state_dict(state, strict=False)
model.eval()
t2 = time.perf_counter()
"""
    + REPORT
)


def probe(code: str, weights: Path, repeats: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", code, str(weights)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    keys = ("import_s", "load_s", "ready_s", "rss_mb", "peak_rss_mb")
    summary: dict[str, Any] = {key: round(statistics.median(run[key] for run in runs), 3) for key in keys}
    summary["min"] = {key: round(min(run[key] for run in runs), 3) for key in keys}
    summary["fingerprint"] = runs[0]["fingerprint"]
    summary["runs"] = len(runs)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_common_options(parser, device_options=False)
    parser.add_argument("--weights-ckpt", type=Path, help="the same weights as an official .ckpt folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        safetensors = weights_folder(args.weights, Path(tmp), "safetensors")
        ckpt = weights_folder(args.weights_ckpt, Path(tmp), "ckpt")
        results = {
            "ours_safetensors": probe(OURS, safetensors, args.repeats),
            "ours_ckpt": probe(OURS, ckpt, args.repeats),
            "official_ckpt": probe(OFFICIAL, ckpt, args.repeats),
        }
    official = results["official_ckpt"]
    for name in ("ours_safetensors", "ours_ckpt"):
        ours = results[name]
        ours["ready_speedup_vs_official"] = round(official["ready_s"] / ours["ready_s"], 2)
        ours["load_speedup_vs_official"] = round(official["load_s"] / ours["load_s"], 2)
        ours["same_weights_as_official"] = ours["fingerprint"] == official["fingerprint"]
    print(json.dumps({"machine": machine(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
