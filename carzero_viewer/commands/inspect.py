"""``carzero-viewer inspect PATH``: what the viewer reads from a file and what the model will be given.

Prints the PHI-free metadata, whether the model can read the image (the one applicability check of
:mod:`carzero_viewer.imaging.applicability`: a warning, never a refusal), the grey-level pipeline steps that
were applied (e.g. "MONOCHROME1 -> inverted after VOI") and the model-input rule, and optionally writes the
default-window display rendering and the 8-bit model input as PNG files. It is the first thing to run when grey
levels look wrong. Patient identity is never printed: only the record's whitelisted metadata is used.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carzero_viewer.commands.common import image_argument


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``inspect`` subcommand."""
    parser = subparsers.add_parser(
        "inspect",
        help="show how an image file is read (metadata, grey-level pipeline, model input)",
        description="Show the PHI-free metadata and the grey-level pipeline applied to an image file, and "
        "optionally write its default display rendering and the 8-bit model input.",
    )
    parser.add_argument(
        "path", type=image_argument, help="DICOM, PNG, JPEG, TIFF or BMP file, or a DICOMweb URL of one image"
    )
    parser.add_argument("--frame", type=int, default=0, help="0-based frame of a multi-frame DICOM")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--save-display", type=Path, metavar="OUT.png", help="write the default-window rendering"
    )
    parser.add_argument(
        "--save-model-input",
        type=Path,
        metavar="OUT.png",
        help="write the 8-bit image the model preprocessing reads",
    )
    parser.add_argument(
        "--save-model-crop", type=Path, metavar="OUT.png", help="write the 224x224 crop the model sees"
    )
    parser.add_argument(
        "--sixteen-bit-rule",
        choices=["full-range", "opencv-high-byte"],
        default="full-range",
        help="how 16-bit PNG/TIFF become the 8-bit model input (default: full-range)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")


def run(args: argparse.Namespace) -> int:
    """Load the file, print the report, write the requested PNGs; exit code 0 on success."""
    from carzero_viewer.files import json_text, prepare_targets, save_png
    from carzero_viewer.imaging import SixteenBitRule, check_applicability, load_image, model_view

    requested = {
        "display": args.save_display,
        "model_input": args.save_model_input,
        "model_crop": args.save_model_crop,
    }
    prepare_targets(requested.values(), args.force)
    record = load_image(args.path, frame=args.frame, sixteen_bit_rule=SixteenBitRule(args.sixteen_bit_rule))
    prepared = model_view(record)
    geometry = prepared.geometry
    images: dict[str, Callable[[], Any]] = {
        "display": record.render,
        "model_input": lambda: record.model_input,
        "model_crop": lambda: prepared.crop,
    }
    written = {
        label: str(save_png(path, images[label](), args.force))
        for label, path in requested.items()
        if path is not None
    }
    applicability = check_applicability(record)
    spacing = list(record.spacing_mm) if record.spacing_mm is not None else None
    report: dict[str, Any] = {
        "path": str(record.path),
        "metadata": dict(record.metadata),
        "applicability": applicability.to_json(),
        "frame": record.frame,
        "frame_count": record.frame_count,
        "pixel_spacing_mm": spacing,
        "pixel_spacing_source": record.spacing_source,
        "default_voi": record.default_voi.label(),
        "presets": [p.label() for p in record.presets],
        "inverted": record.invert,
        "pipeline": list(record.pipeline),
        "model_input_rule": record.model_input_rule,
        "model_input_size": [geometry.original_size[1], geometry.original_size[0]],
        "model_resized_size": [geometry.resized_size[1], geometry.resized_size[0]],
        "content_hash": record.content_hash,
        "written": written,
    }
    if args.json:
        print(json_text(report), end="")
        return 0
    print(f"File: {record.path}")
    for key, value in record.metadata.items():
        if value:
            print(f"  {key.replace('_', ' ')}: {value}")
    frame_text = f"{record.frame + 1} of {record.frame_count}"
    print(f"  frame: {frame_text}")
    if spacing is not None:
        print(f"  pixel spacing: {spacing[0]:g} x {spacing[1]:g} mm ({record.spacing_source})")
    else:
        print("  pixel spacing: unknown (measurements in pixels)")
    if applicability.ok:
        print("Applicability: ok (no reason found to doubt the model can read it)")
    else:
        print("Applicability: WARNING, the model may not be able to read this image (it is scored anyway):")
        for reason in applicability.reasons:
            print(f"  - {reason}")
    print("Pipeline:")
    for step in record.pipeline:
        print(f"  - {step}")
    print(f"Default VOI: {record.default_voi.label()}")
    print("Presets: " + "; ".join(p.label() for p in record.presets))
    print(f"Model input: {record.model_input_rule}")
    print(f"Content hash: {record.content_hash}")
    for label, path in written.items():
        print(f"Wrote {label.replace('_', ' ')}: {path}")
    return 0
