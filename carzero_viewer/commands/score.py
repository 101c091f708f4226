"""``carzero-viewer score``: official zero-shot scores, maps and embeddings for images x prompts.

``--arrays`` writes float32 arrays with fixed names and shapes (I images, P prompts, input order):
``scores``, ``i2t_logits``, ``t2i_logits`` [I,P]; ``grounding_map_14`` [I,P,g,g]; ``word_attn_t2i``
[I,P,1+97]; ``word_query_map_14`` [I,P,97,g,g]; ``img_emb_g`` [I,D]; ``text_emb_g`` [P,D].
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carzero_viewer import __version__
from carzero_viewer.commands.common import add_model_options, build_engine

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.types import PromptResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("score", help="score images against prompts (headless)")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG/JPEG/TIFF/BMP/DICOM)")
    prompts = parser.add_mutually_exclusive_group(required=True)
    prompts.add_argument("--prompt", action="append", metavar="TEXT", help="a prompt (repeatable)")
    prompts.add_argument("--prompts-file", type=Path, metavar="JSON", help="JSON list of prompt strings")
    parser.add_argument("--raw", action="store_true", help="no template: score the text exactly as given")
    parser.add_argument(
        "--template", default=None, help="template for bare findings (default 'There is {}.')"
    )
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write texts, words and scores as JSON")
    parser.add_argument("--arrays", type=Path, metavar="OUT.npz", help="write the arrays as .npz")
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from carzero_viewer.inference.batch import score_files
    from carzero_viewer.inference.prompt_file import read_prompts_file
    from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE

    texts = read_prompts_file(args.prompts_file) if args.prompts_file else list(args.prompt)
    engine = build_engine(args)
    template = args.template or DEFAULT_TEMPLATE
    prompts = engine.encode_prompts([engine.process(t, template, args.raw) for t in texts])
    per_image: list[list[PromptResult]] = []
    img_emb = []
    files = score_files(
        engine,
        [Path(p) for p in args.images],
        prompts,
        decode=_model_input,
        model_input=lambda gray: gray,
        word_maps=args.arrays is not None,
    )
    quiet = len(args.images) < 2
    progress = tqdm(
        files, total=len(args.images), desc="scoring", unit="image", file=sys.stderr, disable=quiet
    )
    for scored in progress:
        img_emb.append(scored.image.img_g[0].float().cpu().numpy())
        per_image.append(scored.results)
    _print_table(args.images, per_image)
    if args.json:
        _write_json(args.json, engine, args.images, per_image, template, args.raw)
    if args.arrays:
        arrays = _arrays(
            engine,
            per_image,
            np.stack(img_emb),
            np.stack([p.sentence.float().cpu().numpy() for p in prompts]),
        )
        args.arrays.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.arrays, allow_pickle=False, **arrays)
    return 0


def _model_input(path: Path) -> np.ndarray:
    from carzero_viewer.imaging import load_image

    return load_image(path).model_input


def _print_table(images: list[str], per_image: list[list[PromptResult]]) -> None:
    for path, results in zip(images, per_image, strict=True):
        print(path)
        for result in results:
            flags = " [truncated]" if result.truncated else ""
            flags += " [empty text: every sentence had <= 1 word]" if result.prompt.is_empty else ""
            print(f"  {result.score:+.6f}  {result.prompt.text}{flags}")


def _model_record(engine: InferenceEngine) -> dict[str, Any]:
    info = engine.info
    return {
        "checkpoint": str(info.checkpoint),
        "sha256": info.sha256,
        "status": info.status.value,
        "status_detail": info.status_detail,
        "device": engine.device.label,
        "untrained_warning": info.status_detail if info.is_untrained else None,
    }


def _write_json(
    path: Path,
    engine: InferenceEngine,
    images: list[str],
    per_image: list[list[PromptResult]],
    template: str,
    raw: bool,
) -> None:
    document = {
        "app_version": __version__,
        "model": _model_record(engine),
        "template": None if raw else template,
        "score_meaning": "official CARZero zero-shot score (i2t + t2i) / 2: a raw logit, higher = more likely; "
        "not a probability",
        "images": [
            {
                "path": image,
                "prompts": [
                    {
                        "typed": r.prompt.typed,
                        "processed": r.prompt.text,
                        "cleaned": r.prompt.cleaned,
                        "templated": r.prompt.templated,
                        "truncated": r.truncated,
                        "words": list(r.words),
                        "score": r.score,
                        "i2t": r.i2t,
                        "t2i": r.t2i,
                    }
                    for r in results
                ],
            }
            for image, results in zip(images, per_image, strict=True)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def _arrays(
    engine: InferenceEngine,
    per_image: list[list[PromptResult]],
    img_emb: npt.NDArray[np.float32],
    text_emb: npt.NDArray[np.float32],
) -> dict[str, npt.NDArray[np.float32]]:
    import numpy as np

    slots = engine.model.config.text.max_length

    def word_query_maps(result: PromptResult) -> npt.NDArray[np.float32]:
        padding = slots - len(result.words)
        pad = np.repeat(result.padding_word_map[None], padding, axis=0)
        return np.asarray(np.concatenate([result.word_maps, pad]), dtype=np.float32)

    def table(getter: Any) -> npt.NDArray[np.float32]:
        return np.asarray([[getter(r) for r in results] for results in per_image], dtype=np.float32)

    return {
        "scores": table(lambda r: r.score),
        "i2t_logits": table(lambda r: r.i2t),
        "t2i_logits": table(lambda r: r.t2i),
        "grounding_map_14": table(lambda r: r.grounding_map),
        "word_attn_t2i": table(lambda r: r.word_attention),
        "word_query_map_14": table(word_query_maps),
        "img_emb_g": img_emb.astype(np.float32),
        "text_emb_g": text_emb.astype(np.float32),
    }
