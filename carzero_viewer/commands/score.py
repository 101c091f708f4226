"""``carzero-viewer score``: official zero-shot scores, maps and embeddings for images x prompts.

``--arrays`` writes float32 arrays with fixed names and shapes (I images, P prompts, input order):
``scores``, ``i2t_logits``, ``t2i_logits`` [I,P]; ``grounding_map_14`` [I,P,g,g]; ``word_attn_t2i``
[I,P,1+97]; ``word_query_map_14`` [I,P,97,g,g]; ``img_emb_g`` [I,D]; ``text_emb_g`` [P,D]; and ``pipeline``,
a 0-d string array (``"official"`` or ``"app"``), and ``precision``, a 0-d string array (``"fp32"``, or the
``--precision`` that computed every array). With ``--findings`` the prompts are the findings' distinct
phrasings (each scored once, in first-seen order), and three more arrays hold the findings (F of them, in
merge order): ``finding_names`` [F] (strings), ``finding_scores`` [I,F] (mean of the phrasings' scores) and
``finding_map_14`` [I,F,g,g] (mean of the phrasings' ``grounding_map_14``).

``--findings NAME|FILE.json`` (repeatable) scores findings instead of single prompts
(:mod:`carzero_viewer.findings`): a built-in library or a user file ``{"Finding": ["phrasing", ...]}``.
A file alone defines its findings; several specs are merged in order and a later finding of the same name
(spellings folded as for ground-truth labels) replaces the earlier one. Each phrasing goes through exactly
the text processing and scoring of a ``--prompt``, so a finding's score is the mean of its phrasings'
``score --prompt`` results. The table lists each finding with its phrasings; ``--json`` gives per image a
list ``"findings"`` of ``{"name", "score", "phrasings": [{"text", "score"}], "spread": {"min", "max",
"std"}}``.

``--calibration PROFILE.json`` (from ``calibrate``; :mod:`carzero_viewer.commands.score_calibration`) adds
beside each finding's raw score (each prompt's, without ``--findings``) its calibrated ``probability`` and
``above_operating_point`` (``--operating-point``, default Youden), ``null`` where the profile has no
calibration; the document gets a ``calibration`` record with the profile's provenance. A profile fitted with
other weights (another SHA-256) is refused in one line before anything is scored.

``--official`` runs the original code's pipeline end to end (spec sections 3-5): the text exactly as given (no
template) and OpenCV's ``IMREAD_GRAYSCALE`` decode, in which a 16-bit PNG/TIFF keeps only its high byte, in
float32. The original code reads no DICOM; a DICOM file keeps the app's rendering (spec section 8, item 26) and
the outputs say so per image.

Every image gets the applicability check (:mod:`carzero_viewer.imaging.applicability`): an image outside what
the model was trained on is scored all the same, with a ``warning:`` line on stderr and, in ``--json``, its
``"applicability": {"ok": ..., "reasons": [...]}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carzero_viewer import __version__
from carzero_viewer.commands.common import add_model_options, build_engine
from carzero_viewer.commands.score_archive import add_archive_options, check_archive_options, run_archive
from carzero_viewer.commands.score_calibration import ScoreCalibration, add_calibration_options
from carzero_viewer.errors import ModelLoadError, PromptError

FINDING_SCORE_MEANING = (
    "a finding's score is the mean of the official scores of its phrasings (raw logits, not a probability); "
    "spread = min, max and population standard deviation of those scores"
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.findings import Finding, FindingResult
    from carzero_viewer.inference.archive import RowSpec
    from carzero_viewer.inference.batch import ModelInput
    from carzero_viewer.inference.engine import InferenceEngine
    from carzero_viewer.types import PromptResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("score", help="score images against prompts (headless)")
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files (PNG/JPEG/TIFF/BMP/DICOM); with --out also folders (recursive)",
    )
    prompts = parser.add_mutually_exclusive_group(required=True)
    prompts.add_argument("--prompt", action="append", metavar="TEXT", help="a prompt (repeatable)")
    prompts.add_argument("--prompts-file", type=Path, metavar="JSON", help="JSON list of prompt strings")
    prompts.add_argument(
        "--findings",
        action="append",
        metavar="NAME|FILE.json",
        help="score findings, each the mean of its phrasings' scores: a library (chestxray14, chexpert, "
        'chexpert-competition, chestx-det10) or a JSON file {"Finding": ["phrasing", ...]}; repeatable: '
        "merged in order, a later finding of the same name replaces the earlier one",
    )
    parser.add_argument("--raw", action="store_true", help="no template: score the text exactly as given")
    parser.add_argument(
        "--official",
        action="store_true",
        help="the original code's pipeline, to reproduce its numbers: raw text and OpenCV's grayscale decode "
        "(a 16-bit PNG/TIFF keeps only its high byte), float32",
    )
    parser.add_argument(
        "--template", default=None, help="template for bare findings (default 'There is {}.')"
    )
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write texts, words and scores as JSON")
    parser.add_argument("--arrays", type=Path, metavar="OUT.npz", help="write the arrays as .npz")
    parser.add_argument(
        "--force", action="store_true", help="overwrite existing --json/--arrays files (and an --out table)"
    )
    add_calibration_options(parser)
    add_archive_options(parser)
    add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from carzero_viewer.files import prepare_targets, save_npz
    from carzero_viewer.findings import Finding, aggregate
    from carzero_viewer.imaging import SixteenBitRule, SourceFormat
    from carzero_viewer.inference.batch import decode_model_input, score_files
    from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE

    _check_official_options(args)
    check_archive_options(args)
    prepare_targets([args.json, args.arrays], args.force)
    calibration = ScoreCalibration.from_args(args)
    texts, findings = _texts(args)
    template = args.template or DEFAULT_TEMPLATE
    raw = args.raw or args.official
    if args.out is not None:
        return run_archive(args, _row_spec(args, texts, findings, template, raw), calibration)
    engine = build_engine(args)
    calibration.check_weights(engine.info.sha256)
    calibration.warn_other_phrasings(findings or [Finding(t, (t,)) for t in dict.fromkeys(texts)])
    rule = SixteenBitRule.OPENCV_HIGH_BYTE if args.official else SixteenBitRule.FULL_RANGE
    prompts = engine.encode_prompts([engine.process(t, template, raw) for t in texts])
    per_image: list[list[PromptResult]] = []
    inputs: list[ModelInput] = []
    img_emb = []
    files = score_files(
        engine,
        [Path(p) for p in args.images],
        prompts,
        decode=lambda path: decode_model_input(path, rule),
        model_input=lambda decoded: decoded.gray,
        word_maps=args.arrays is not None,
    )
    quiet = len(args.images) < 2
    progress = tqdm(
        files, total=len(args.images), desc="scoring", unit="image", file=sys.stderr, disable=quiet
    )
    for scored in progress:
        img_emb.append(scored.image.img_g[0].float().cpu().numpy())
        per_image.append(scored.results)
        inputs.append(scored.decoded)
        for reason in scored.decoded.applicability.reasons:
            print(f"warning: {scored.path}: {reason}", file=sys.stderr)
        if args.official and scored.decoded.source_format is SourceFormat.DICOM:
            print(
                f"note: {scored.path}: the original code reads no DICOM; --official uses the app's DICOM "
                "rendering for it",
                file=sys.stderr,
            )
    per_finding = [
        [aggregate(f, {r.prompt.typed: r for r in results}) for f in findings] for results in per_image
    ]
    if findings:
        _print_findings(args.images, per_image, per_finding, calibration)
    else:
        _print_table(args.images, per_image, calibration)
    pipeline = "official" if args.official else "app"
    if args.json:
        _write_json(
            args.json,
            engine,
            args.images,
            per_image,
            per_finding,
            inputs,
            template,
            raw,
            pipeline,
            calibration,
            args.force,
        )
    if args.arrays:
        arrays = _arrays(
            engine,
            per_image,
            np.stack(img_emb),
            np.stack([p.sentence.float().cpu().numpy() for p in prompts]),
        )
        arrays["pipeline"] = np.array(pipeline)
        arrays["precision"] = np.array(engine.device.precision)
        if findings:
            arrays.update(_finding_arrays(findings, per_finding))
        save_npz(args.arrays, arrays, args.force)
    return 0


def _texts(args: argparse.Namespace) -> tuple[list[str], tuple[Finding, ...]]:
    """The texts to score and the findings they are the phrasings of (none without ``--findings``)."""
    from carzero_viewer.findings import all_phrasings, load_findings
    from carzero_viewer.inference.prompt_file import read_prompts_file

    findings = load_findings(*args.findings) if args.findings else ()
    if findings:
        return list(all_phrasings(findings)), findings
    return (read_prompts_file(args.prompts_file) if args.prompts_file else list(args.prompt)), findings


def _row_spec(
    args: argparse.Namespace, texts: list[str], findings: tuple[Finding, ...], template: str, raw: bool
) -> RowSpec:
    """What each row of ``--out`` is computed from: the distinct prompts (phrasings) and the findings."""
    from carzero_viewer.inference.archive import RowSpec

    return RowSpec(tuple(dict.fromkeys(texts)), template, raw, args.official, findings, args.with_maps)


def _check_official_options(args: argparse.Namespace) -> None:
    """``--official`` fixes the text processing and the arithmetic; refuse options that would change them.

    Raises:
        PromptError: ``--template`` with ``--official`` (the original code applies no template).
        ModelLoadError: ``--precision`` other than fp32 with ``--official`` (the original code is float32).
    """
    if not args.official:
        return
    if args.template is not None:
        raise PromptError("--official scores the text exactly as given; --template does not apply")
    if args.precision != "fp32":
        raise ModelLoadError(
            f"--official computes in float32 like the original code; drop --precision {args.precision}"
        )


def _print_table(
    images: list[str], per_image: list[list[PromptResult]], calibration: ScoreCalibration
) -> None:
    for path, results in zip(images, per_image, strict=True):
        print(path)
        for result in results:
            typed = result.prompt.typed
            print(_prompt_line(result, "  ") + calibration.text(typed, result.score, (typed,)))


def _print_findings(
    images: list[str],
    per_image: list[list[PromptResult]],
    per_finding: list[list[FindingResult]],
    calibration: ScoreCalibration,
) -> None:
    """Each finding's mean and spread, then its phrasings as the model reads them (with their flags)."""
    for path, results, findings in zip(images, per_image, per_finding, strict=True):
        print(path)
        by_text = {r.prompt.typed: r for r in results}
        for finding in findings:
            spread = finding.spread
            print(
                f"  {finding.score:+.6f}  {finding.name}  (mean of {len(finding.phrasing_scores)}; "
                f"min {spread.min:+.6f}, max {spread.max:+.6f}, sd {spread.std:.6f})"
                f"{calibration.text(finding.name, finding.score, _phrasings(finding))}"
            )
            for phrasing in finding.phrasing_scores:
                print(_prompt_line(by_text[phrasing.text], "      "))


def _phrasings(result: FindingResult) -> tuple[str, ...]:
    return tuple(p.text for p in result.phrasing_scores)


def _prompt_line(result: PromptResult, indent: str) -> str:
    """``<score>  <text the model reads> [flags]``."""
    from carzero_viewer.inference.prompts import explain_prompt

    flags = "".join(f" [{flag}]" for flag in explain_prompt(result.prompt, result.truncated).flags)
    return f"{indent}{result.score:+.6f}  {result.prompt.text}{flags}"


def _model_record(engine: InferenceEngine) -> dict[str, Any]:
    info = engine.info
    return {
        "checkpoint": str(info.checkpoint),
        "sha256": info.sha256,
        "status": info.status.value,
        "status_detail": info.status_detail,
        "device": engine.device.label,
        "precision": engine.device.precision,
        "untrained_warning": info.status_detail if info.is_untrained else None,
    }


def _write_json(
    path: Path,
    engine: InferenceEngine,
    images: list[str],
    per_image: list[list[PromptResult]],
    per_finding: list[list[FindingResult]],
    inputs: list[ModelInput],
    template: str,
    raw: bool,
    pipeline: str,
    calibration: ScoreCalibration,
    force: bool,
) -> None:
    """Write the texts, words and scores, and the findings if any (NaN as null: always valid JSON).

    With ``--calibration``, each finding (each prompt when there are no findings) also gets its calibrated
    ``probability`` and ``above_operating_point``, and the document a ``calibration`` record.
    """
    from carzero_viewer.files import write_json_atomic

    document = {
        "app_version": __version__,
        "model": _model_record(engine),
        "pipeline": pipeline,
        "template": None if raw else template,
        "score_meaning": "official CARZero zero-shot score (i2t + t2i) / 2: a raw logit, higher = more likely; "
        "not a probability",
        **({"finding_score_meaning": FINDING_SCORE_MEANING} if any(per_finding) else {}),
        **({"calibration": calibration.record()} if calibration.profile else {}),
        "images": [
            {
                "path": image,
                "model_input_rule": decoded.rule,
                "applicability": decoded.applicability.to_json(),
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
                        **(
                            {} if findings else calibration.values(r.prompt.typed, r.score, (r.prompt.typed,))
                        ),
                    }
                    for r in results
                ],
                **(
                    {
                        "findings": [
                            {**f.to_json(), **calibration.values(f.name, f.score, _phrasings(f))}
                            for f in findings
                        ]
                    }
                    if findings
                    else {}
                ),
            }
            for image, results, findings, decoded in zip(images, per_image, per_finding, inputs, strict=True)
        ],
    }
    write_json_atomic(path, document, force)


def _finding_arrays(
    findings: tuple[Finding, ...], per_finding: list[list[FindingResult]]
) -> dict[str, npt.NDArray[Any]]:
    """``finding_names`` [F], ``finding_scores`` [I,F] and ``finding_map_14`` [I,F,g,g] (float32)."""
    import numpy as np

    return {
        "finding_names": np.array([f.name for f in findings]),
        "finding_scores": np.asarray([[r.score for r in rs] for rs in per_finding], dtype=np.float32),
        "finding_map_14": np.asarray([[r.map for r in rs] for rs in per_finding], dtype=np.float32),
    }


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
