"""Hostile inputs for ``hostile_inputs.py``, crafted here from the descriptions in issue 11.

Each builder writes its inputs under the work folder and returns :class:`Case` objects: the command to run
(the real CLI in a subprocess), what a correct outcome is, and the checks only the case knows (a marker file a
refused pickle must not create, a file that must be left unchanged, zero ``dciodvfy`` errors). Nothing is
taken from the project's tests or imported from ``carzero_viewer``: inputs are built with torch, safetensors,
pydicom, numpy and Pillow, so the harness can catch what the fixes' authors did not think of.

The crafted weights are in :mod:`hostile_weights`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Check = Callable[[], "str | None"]  # returns why the case fails, or None
OK, ERROR, EITHER, PARTIAL = "ok", "error", "either", "partial"
PROMPT = "pleural effusion"
DEEP = 100_000  # nesting depth of the deep JSON inputs: far past any recursion limit
ROWS_LIE = 1_050_336  # the rows the lying JPEG 2000 SIZ of the issue declares
FIFO_HANG_S = 30.0  # a FIFO nobody writes to: still waiting well past a model load (~5 s) is a hang


@dataclass
class Case:
    """One hostile input run through one command.

    Attributes:
        name: unique and short.
        command: argv (bytes allowed, for arguments that are not valid UTF-8).
        expect: ``ok`` (exit 0, correct result), ``error`` (one-line error naming ``names``), ``either``, or
            ``partial`` (a multi-file run: non-zero exit, its last line names ``names``, the rest written).
        names: what the error line must contain (the hostile file's name).
        quick: part of the ``--quick`` subset.
        checks: extra checks run after the command.
        outputs: files or folders the command writes (checked: no empty file, strict JSON, safe CSV).
        skip: why the case cannot run on this machine (empty when it can).
        time_limit_s: the child is killed (a hang) after this long; the acceptance bound is 120 s.
    """

    name: str
    command: list[str | bytes]
    expect: str
    names: str = ""
    quick: bool = False
    checks: list[Check] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    skip: str = ""
    time_limit_s: float = 120.0


@dataclass
class Context:
    """Shared inputs: the work folder, the tiny weights in three forms, the scoring image, real DICOMs."""

    work: Path
    tiny: Path  # official layout: checkpoint.ckpt + bert/
    ckpt: Path  # plain-data .ckpt folder (weights convert --to ckpt)
    safetensors: Path  # weights convert --to safetensors
    image: Path
    dicom_dir: Path
    can_mount: bool
    mounts: list[Path] = field(default_factory=list)

    def folder(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def cli(*args: str | Path | bytes) -> list[str | bytes]:
    return [sys.executable, "-m", "carzero_viewer", *(a if isinstance(a, bytes) else str(a) for a in args)]


def score(
    ctx: Context, weights: Path, *extra: str | Path | bytes, image: Path | None = None
) -> list[str | bytes]:
    return cli(
        "score", image or ctx.image, "--prompt", PROMPT, "--weights", weights, "--device", "cpu", *extra
    )


def evaluate(
    ctx: Context, images: Path, annotations: Path, out: Path, *extra: str | Path
) -> list[str | bytes]:
    return cli("eval", "--images", images, "--annotations", annotations, "--out", out, "--bootstrap", "10",
               "--weights", ctx.tiny, "--device", "cpu", *extra)  # fmt: skip


def deep_json(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------- checks


def unchanged(path: Path) -> Check:
    before = path.read_bytes()
    return lambda: None if path.read_bytes() == before else f"{path.name} was modified"


def absent(path: Path) -> Check:
    return lambda: f"{path.name} exists: the refused input ran code" if path.exists() else None


def only(folder: Path, names: set[str]) -> Check:
    """No file besides ``names`` under ``folder`` (a partial output); empty folders are not files."""

    def check() -> str | None:
        extra = sorted(
            str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name not in names
        )
        return f"left behind in {folder.name}/: {extra[:5]}" if extra else None

    return check


def dciodvfy_clean(folder: Path) -> Check:
    """At least one DICOM written, each with zero ``dciodvfy`` errors (lines starting with "Error")."""

    def check() -> str | None:
        if shutil.which("dciodvfy") is None:
            return "dciodvfy is not installed (apt-get install dicom3tools)"
        written = sorted(folder.rglob("*.dcm"))
        if not written:
            return "no DICOM file written"
        for dcm in written:
            done = subprocess.run(["dciodvfy", str(dcm)], capture_output=True, text=True, check=False)
            errors = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.startswith("Error")]
            if errors:
                return f"dciodvfy: {len(errors)} error(s) in {dcm.name}: {errors[0]}"
        return None

    return check


def png_levels(path: Path, min_levels: int, min_max: int) -> Check:
    """The rendering exists, is not saturated to a few grey levels and is not almost black."""

    def check() -> str | None:
        from PIL import Image

        if not path.is_file():
            return f"{path.name} not written"
        pixels = np.asarray(Image.open(path).convert("L"))
        levels = len(np.unique(pixels))
        if levels < min_levels or int(pixels.max()) < min_max:
            return f"display has {levels} grey level(s), max {int(pixels.max())}"
        return None

    return check


def inside(folder: Path, listing: Path) -> Check:
    """Every path a study scan listed lies inside ``folder``."""

    def check() -> str | None:
        try:
            paths = json.loads(listing.read_text())
        except (OSError, ValueError) as exc:
            return f"no study listing ({exc})"
        outside = [p for p in paths if not Path(p).resolve().is_relative_to(folder.resolve())]
        return f"lists files outside the folder: {outside}" if outside else None

    return check


def mount_tmpfs(ctx: Context, folder: Path, read_only: bool) -> str:
    """Mount a 64 KiB tmpfs on ``folder`` (filled to the last byte unless read-only); returns a skip reason.

    Root is root: ``chmod`` cannot make a folder read-only for it, so both disks are real mounts.
    """
    if not ctx.can_mount:
        return "needs root and tmpfs mounts (mount -t tmpfs) to simulate a full or read-only disk"
    options = "size=64k" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        return f"mount failed: {done.stderr.decode(errors='replace').strip()}"
    ctx.mounts.append(folder)
    if not read_only:
        with contextlib.suppress(OSError), (folder / "filler").open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    return ""


# ---------------------------------------------------------------- images


def _patch_be(data: bytearray, offset: int, value: int, size: int) -> None:
    data[offset : offset + size] = value.to_bytes(size, "big")


def _jpeg_frame_header(data: bytes, markers: set[int]) -> int:
    """Offset of the first frame header (one of ``markers``) of the first JPEG codestream in ``data``."""
    pos = data.index(b"\xff\xd8\xff") + 2
    while data[pos + 1] not in markers:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos


def lying_codestreams(ctx: Context, folder: Path) -> list[Path]:
    """JPEG 2000 / JPEG / JPEG-LS DICOMs whose codestream declares a size that Rows/Columns do not."""
    j2k = bytearray((ctx.dicom_dir / "RG1_J2KI.dcm").read_bytes())
    _patch_be(j2k, j2k.index(b"\xff\x4f\xff\x51") + 12, ROWS_LIE, 4)  # SOC, SIZ, Lsiz, Rsiz, Xsiz, Ysiz
    sof = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    jpeg = bytearray((ctx.dicom_dir / "RG2_JPLY_fixed.dcm").read_bytes())
    jls = bytearray((ctx.dicom_dir / "RG2_JPLL.dcm").read_bytes())
    for data, markers in ((jpeg, sof), (jls, {0xF7})):  # SOFn / SOF55: FFxx, Lf, P, Y, X
        header = _jpeg_frame_header(bytes(data), markers)
        _patch_be(data, header + 5, 65535, 2)
        _patch_be(data, header + 7, 65535, 2)
    paths = []
    for name, data in (("j2k_siz_lie", j2k), ("jpeg_sof_lie", jpeg), ("jpegls_sof55_lie", jls)):
        paths.append(folder / f"{name}.dcm")
        paths[-1].write_bytes(bytes(data))
    return paths


def damaged(source: Path, dest: Path, truncate: bool) -> Path:
    """``source`` cut at 60%, or with 4 KiB of its codestream (headers first) overwritten by noise."""
    data = bytearray(source.read_bytes())
    if truncate:
        del data[len(data) * 3 // 5 :]
    else:
        start = max(data.find(b"\xff\x4f\xff\x51"), data.find(b"\xff\xd8\xff")) + 2
        data[start : start + 4096] = np.random.default_rng(11).integers(0, 256, 4096, np.uint8).tobytes()
    dest.write_bytes(bytes(data))
    return dest


def write_dicom(path: Path, pixels: np.ndarray, float_pixels: bool = False, **attrs: Any) -> Path:
    """A minimal Secondary Capture of ``pixels`` (MONOCHROME2 unsigned unless ``attrs`` say otherwise)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.pixels import pack_bits
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientID = "OT", "HOSTILE"
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    if float_pixels:
        ds.FloatPixelData = pixels.astype("<f4").tobytes()
    else:
        ds.PixelData = pack_bits(pixels) if ds.BitsAllocated == 1 else pixels.tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a DICOMDIR case stores values pydicom rightly warns about
        ds.save_as(path, enforce_file_format=True)
    return path


def huge_png(path: Path, side: int = 100_000) -> Path:
    """A PNG whose IHDR declares ``side`` x ``side`` 8-bit grey (valid CRCs), with four real rows."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side + 1) * 4)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    return path


def huge_tiff(path: Path, side: int = 100_000) -> Path:
    """An 8x8 grey TIFF whose first IFD then declares ``side`` x ``side`` (ImageWidth/ImageLength as LONG)."""
    from PIL import Image

    Image.new("L", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    order = "<" if data[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", data[4:8])[0]
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        if struct.unpack(order + "H", data[entry : entry + 2])[0] in (256, 257):
            data[entry + 2 : entry + 12] = struct.pack(order + "HII", 4, 1, side)
    path.write_bytes(bytes(data))
    return path


def codestream_cases(ctx: Context) -> list[Case]:
    """Lying, truncated and damaged compressed DICOMs."""
    folder = ctx.folder("codestreams")
    lies = lying_codestreams(ctx, folder)
    cases = [
        Case(f"inspect_{p.stem}", cli("inspect", p), ERROR, p.name, p.stem == "jpegls_sof55_lie")
        for p in lies
    ]
    cases.append(Case("score_j2k_siz_lie", score(ctx, ctx.tiny, image=lies[0]), ERROR, lies[0].name, True))
    for name, source in (("j2k", "RG1_J2KI.dcm"), ("jpeg", "RG2_JPLY_fixed.dcm")):
        for truncate, label in ((True, "truncated"), (False, "damaged")):
            path = damaged(ctx.dicom_dir / source, folder / f"{name}_{label}.dcm", truncate)
            expect = ERROR if truncate else EITHER  # noise in entropy-coded data may still decode
            quick = path.stem == "j2k_damaged"
            cases.append(Case(f"inspect_{path.stem}", cli("inspect", path), expect, path.name, quick))
    return cases + mixed_folder_cases(ctx, lies[0])


def mixed_folder_cases(ctx: Context, lie: Path) -> list[Case]:
    """A good image next to a lying codestream (and, for eval, a FIFO): the good one is still done."""
    images = ctx.folder("mixed/images")
    shutil.copy(ctx.image, images / "good.png")
    shutil.copy(lie, images / lie.name)
    os.mkfifo(images / "fifo.png")
    boxes = ctx.folder("mixed") / "boxes.csv"
    boxes.write_text(f"image,label,x1,y1,x2,y2\ngood.png,Effusion,10,10,90,90\n{lie.name},Effusion,1,1,9,9\n")
    out = ctx.work / "mixed" / "export_out"
    export = cli("export", ctx.dicom_dir / "emri_small.dcm", lie, "--prompt", PROMPT, "--out", out,
                 "--format", "png,csv,json,dcm", "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
    eval_out = ctx.work / "mixed" / "eval_out"
    return [
        Case("eval_folder_with_lie_and_fifo", evaluate(ctx, images, boxes, eval_out), OK, outputs=[eval_out]),
        Case(
            "export_good_and_lying_dicom",
            export,
            PARTIAL,
            lie.name,
            checks=[dciodvfy_clean(out)],
            outputs=[out],
        ),
    ]


def image_cases(ctx: Context) -> list[Case]:
    """Unusual but legal images (must work) and impossible ones (must be refused in one line)."""
    from PIL import Image

    folder = ctx.folder("images")
    png16 = folder / "sixteen_bit.png"
    Image.fromarray(np.linspace(0, 65535, 256 * 256).reshape(256, 256).astype(np.uint16)).save(png16)
    rgb = write_dicom(
        folder / "rgb32.dcm",
        np.linspace(0, 2**32 - 1, 64 * 64 * 3).reshape(64, 64, 3).astype(np.uint32),
        SamplesPerPixel=3, PhotometricInterpretation="RGB", PlanarConfiguration=0,
        BitsAllocated=32, BitsStored=32, HighBit=31,
    )  # fmt: skip
    checker = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.uint8)
    one = write_dicom(folder / "one_bit.dcm", checker, BitsAllocated=1, BitsStored=1, HighBit=0)
    floats = np.linspace(-1, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    floats[::7, ::5] = np.nan
    nan = write_dicom(folder / "float_nan.dcm", floats, float_pixels=True, BitsAllocated=32)
    png = huge_png(folder / "huge_ihdr.png")
    empty = folder / "empty.dcm"
    empty.touch()
    fifo = folder / "fifo.png"
    os.mkfifo(fifo)
    rgb_display, one_display = folder / "rgb32_display.png", folder / "one_bit_display.png"
    return [
        Case("score_16bit_png", score(ctx, ctx.tiny, image=png16), OK, quick=True),
        Case("inspect_16bit_png", cli("inspect", png16, "--json"), OK),
        Case("inspect_32bit_colour_dicom", cli("inspect", rgb, "--save-display", rgb_display), OK,
             checks=[png_levels(rgb_display, min_levels=32, min_max=128)]),
        Case("inspect_1bit_dicom", cli("inspect", one, "--save-display", one_display), OK,
             checks=[png_levels(one_display, min_levels=2, min_max=200)]),
        Case("score_1bit_dicom", score(ctx, ctx.tiny, image=one), OK),
        Case("inspect_float_nan_dicom", cli("inspect", nan, "--json"), EITHER, nan.name),
        Case("inspect_float_nan_dicom_text", cli("inspect", nan), EITHER, nan.name),
        Case("inspect_png_100000x100000", cli("inspect", png), ERROR, png.name),
        Case("score_png_100000x100000", score(ctx, ctx.tiny, image=png), ERROR, png.name),
        Case("inspect_empty_file", cli("inspect", empty), ERROR, empty.name),
        Case("inspect_fifo", cli("inspect", fifo), ERROR, fifo.name, True, time_limit_s=FIFO_HANG_S),
        Case("score_fifo", score(ctx, ctx.tiny, image=fifo), ERROR, fifo.name, time_limit_s=FIFO_HANG_S),
        dicomdir_case(ctx),
    ]  # fmt: skip


def dicomdir_case(ctx: Context) -> Case:
    """A DICOMDIR whose file IDs climb out with ``..`` or are absolute, listed by the viewer's study scan."""
    from pydicom.dataset import Dataset

    study, secret = ctx.folder("dicomdir/study"), ctx.folder("dicomdir/secret")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", secret / "outside.dcm")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", study / "inside.dcm")
    records = []
    for file_id in (["inside.dcm"], ["..", "secret", "outside.dcm"], [str(secret / "outside.dcm")]):
        record = Dataset()
        record.DirectoryRecordType = "IMAGE"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CS values like ".." are the point of the case
            record.ReferencedFileID = file_id
        records.append(record)
    pixels = np.zeros((8, 8), np.uint8)
    write_dicom(
        study / "DICOMDIR", pixels, BitsAllocated=8, BitsStored=8, HighBit=7, DirectoryRecordSequence=records
    )
    listing = study.parent / "listing.json"
    code = (
        "import json, sys; from carzero_viewer.imaging.study import scan_folder; "
        "json.dump([str(e.path) for e in scan_folder(sys.argv[1])], open(sys.argv[2], 'w'))"
    )
    command: list[str | bytes] = [sys.executable, "-c", code, str(study), str(listing)]
    return Case("study_dicomdir_escape", command, OK, checks=[inside(study, listing)])


def odd_file_cases(ctx: Context) -> list[Case]:
    """FIFOs as prompt and annotation files, a folder or a symlink loop as an image, impossible DICOM and
    TIFF sizes, and an output folder that is a file (FIFOs as weights files: :mod:`hostile_weights`)."""

    folder = ctx.folder("odd")
    fifo = folder / "fifo.json"
    os.mkfifo(fifo)
    prompts = cli("score", ctx.image, "--prompts-file", fifo, "--weights", ctx.tiny, "--device", "cpu")
    annotations = evaluate(ctx, ctx.folder("annotations/images"), fifo, folder / "out_fifo_eval")

    loop = folder / "loop.png"
    loop.symlink_to(loop)
    zero = write_dicom(folder / "zero_rows.dcm", np.zeros((4, 4), np.uint16), BitsAllocated=16,
                       BitsStored=16, HighBit=15)  # fmt: skip
    data = bytearray(zero.read_bytes())
    rows = data.index(b"\x28\x00\x10\x00US\x02\x00")  # (0028,0010) Rows, explicit VR US, length 2
    data[rows + 8 : rows + 10] = b"\0\0"
    zero.write_bytes(bytes(data))
    frames = write_dicom(folder / "many_frames.dcm", np.zeros((64, 64), np.uint16), BitsAllocated=16,
                         BitsStored=16, HighBit=15, NumberOfFrames=2**31 - 1)  # fmt: skip
    tiff = huge_tiff(folder / "huge.tif")
    taken = folder / "out_is_a_file"
    taken.write_text("KEEP")
    export = cli(
        "export", ctx.image, "--prompt", PROMPT, "--out", taken, "--weights", ctx.tiny, "--device", "cpu"
    )
    return [
        Case("fifo_prompts_file", prompts, ERROR, fifo.name, time_limit_s=FIFO_HANG_S),
        Case("fifo_annotations", annotations, ERROR, fifo.name, time_limit_s=FIFO_HANG_S),
        Case("inspect_folder", cli("inspect", folder), ERROR, folder.name),
        Case("inspect_symlink_loop", cli("inspect", loop), ERROR, loop.name),
        Case("inspect_zero_rows_dicom", cli("inspect", zero), ERROR, zero.name),
        Case("inspect_2g_frames_dicom", cli("inspect", frames), ERROR, frames.name),
        Case("inspect_tiff_100000x100000", cli("inspect", tiff), ERROR, tiff.name),
        Case("export_out_is_a_file", export, ERROR, taken.name, checks=[unchanged(taken)]),
    ]


# ---------------------------------------------------------------- annotations and prompts


def _coco(image_width: float, box_width: float) -> str:
    return json.dumps({
        "images": [{"id": 1, "file_name": "00002578_000.png", "width": image_width, "height": 1024}],
        "categories": [{"id": 1, "name": "Nodule"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 100, box_width, 50]}],
    })  # fmt: skip


def annotation_cases(ctx: Context) -> list[Case]:
    """``eval`` given one hostile annotation (or label-map) file: refused in one line, or safe outputs."""
    folder = ctx.folder("annotations")
    images = ctx.folder("annotations/images")
    shutil.copy(ctx.image, images / "00002578_000.png")
    mscxr = "dicom_id,category_name,label_text,path,x,y,w,h,image_width,image_height\n"
    mscxr += "00002578_000,Nodule,nodule,files/00002578_000.jpg,10,10,50,50,0.4,1024\n"
    plain = "image,label,x1,y1,x2,y2,image_width,image_height\n"
    inputs = {
        "coco_image_width_0.json": (_coco(0, 50), ERROR, True),
        "coco_negative_image_width.json": (_coco(-1024, 50), ERROR, False),
        "coco_negative_box_width.json": (_coco(1024, -50), ERROR, False),
        "mscxr_image_width_0.4.csv": (mscxr, ERROR, True),
        "plain_image_width_0.4.csv": (plain + "00002578_000.png,Nodule,10,10,60,60,0.4,1024\n", ERROR, False),
        "deep.json": (deep_json(), ERROR, True),
        "formula_labels.csv": (
            plain + '00002578_000.png,"=HYPERLINK(""http://x"")",10,10,60,60,,\n',
            OK,
            False,
        ),
    }
    cases = []
    for file_name, (text, expect, quick) in inputs.items():
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        out = folder / f"out_{path.stem}"
        command = evaluate(ctx, images, path, out)
        cases.append(Case(f"eval_{path.stem}", command, expect, file_name, quick, outputs=[out]))
    label_map = folder / "label_map_deep.json"
    label_map.write_text(deep_json())
    command = evaluate(
        ctx, images, folder / "formula_labels.csv", folder / "out_map", "--label-map", label_map
    )
    cases.append(Case("eval_label_map_deep", command, ERROR, label_map.name))
    return cases


def prompt_cases(ctx: Context) -> list[Case]:
    """Prompt files nested too deep, holding NaN or a lone surrogate, and a non-UTF-8 ``--prompt``."""
    folder = ctx.folder("prompts")
    files = {
        "prompts_deep.json": (deep_json(), True),
        "prompts_surrogate.json": ('["pleural effusion", "\\ud800 nodule"]', False),
        "prompts_nan.json": ('["pleural effusion", NaN]', False),
    }
    cases = []
    for file_name, (text, quick) in files.items():
        path = folder / file_name
        path.write_text(text)
        command = cli("score", ctx.image, "--prompts-file", path, "--weights", ctx.tiny, "--device", "cpu")
        cases.append(Case(f"score_{path.stem}", command, ERROR, file_name, quick))
    out = folder / "out_surrogate_argv.json"
    command = cli("score", ctx.image, "--prompt", b"\xff nodule", "--json", out, "--weights", ctx.tiny)
    cases.append(Case("score_prompt_lone_surrogate_argv", command, EITHER, quick=True, outputs=[out]))
    return cases


# ---------------------------------------------------------------- writers


JSON_OUT, NPZ_OUT, PNG_OUT = "scores_out.json", "arrays_out.npz", "display_out.png"  # distinctive names


def writer_cases(ctx: Context) -> list[Case]:
    """Outputs that exist already (no ``--force``), and full or read-only disks."""
    folder = ctx.folder("writers")
    cases = []
    for flag, name in (("--json", "scores.json"), ("--arrays", "arrays.npz")):
        existing = folder / name
        existing.write_bytes(b"KEEP: written by a previous run\n")
        quick = flag == "--json"
        command = score(ctx, ctx.tiny, flag, existing)
        cases.append(Case(f"score_{flag[2:]}_existing", command, ERROR, name, quick, [unchanged(existing)]))
    display = folder / "display.png"
    display.write_bytes(b"KEEP")
    command = cli("inspect", ctx.image, "--save-display", display)
    cases.append(
        Case("inspect_save_display_existing", command, ERROR, display.name, checks=[unchanged(display)])
    )

    report = ctx.folder("writers/eval_out")  # as a first eval left it
    for name in ("report.html", "summary.json", "summary.csv", "boxes.csv", "image_classes.csv"):
        (report / name).write_text("KEEP")
    boxes = folder / "boxes.csv"
    boxes.write_text(f"image,label,x1,y1,x2,y2\n{ctx.image.name},Effusion,10,10,90,90\n")
    command = evaluate(ctx, ctx.image.parent, boxes, report)
    checks = [unchanged(report / "summary.json")]
    cases.append(Case("eval_existing_report", command, ERROR, report.name, checks=checks))

    disks: tuple[tuple[str, bool, Callable[[Path], list[str | bytes]], str], ...] = (
        ("score_json_full_disk", False, lambda d: score(ctx, ctx.tiny, "--json", d / JSON_OUT), JSON_OUT),
        ("score_json_read_only", True, lambda d: score(ctx, ctx.tiny, "--json", d / JSON_OUT), JSON_OUT),
        ("score_arrays_full_disk", False, lambda d: score(ctx, ctx.tiny, "--arrays", d / NPZ_OUT), NPZ_OUT),
        ("inspect_display_full_disk", False,
         lambda d: cli("inspect", ctx.image, "--save-display", d / PNG_OUT), PNG_OUT),
        ("weights_convert_full_disk", False,
         lambda d: cli("weights", "convert", ctx.tiny, d / "converted", "--to", "safetensors"), "converted"),
    )  # fmt: skip
    for name, read_only, command_for, target in disks:
        disk = ctx.folder(f"writers/{name}")
        skip = mount_tmpfs(ctx, disk, read_only)
        quick = name == "score_json_full_disk"
        checks = [only(disk, set() if read_only else {"filler"})]
        cases.append(Case(name, command_for(disk), ERROR, target, quick, checks, skip=skip))
    return cases


# ---------------------------------------------------------------- export


def export_cases(ctx: Context, quick_files: tuple[str, ...]) -> list[Case]:
    """Every real DICOM exported in all formats, and a folder of hostile neighbours and formula labels."""
    cases = []
    for dcm in sorted(ctx.dicom_dir.glob("*.dcm")):
        name = f"export_{dcm.stem[:40]}"
        out = ctx.work / name
        command = cli("export", dcm, "--prompt", PROMPT, "--out", out, "--format", "png,pdf,csv,json,dcm",
                      "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
        quick = dcm.name in quick_files
        cases.append(Case(name, command, OK, quick=quick, checks=[dciodvfy_clean(out)], outputs=[out]))

    folder = ctx.folder("export_neighbours/images")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", folder / "scan.dcm")
    (folder / "broken.csv").write_bytes(b'image,label,x1\n\xff\xfe\x00garbage,"unterminated\n')
    (folder / "deep.json").write_text(deep_json())
    (folder / "zero_width.json").write_text(_coco(0, 50).replace("00002578_000.png", "scan.dcm"))
    (folder / "labels.csv").write_text(
        'image,label,x1,y1,x2,y2\nscan.dcm,"=HYPERLINK(""http://x"")",1,1,20,20\nscan.dcm,@SUM(A1),2,2,9,9\n'
    )
    out = ctx.work / "export_neighbours/out"
    formulas = ("--prompt", '=HYPERLINK("http://x")', "--prompt", "+cmd")
    command = cli("export", folder / "scan.dcm", *formulas, "--out", out, "--format", "png,csv,json,dcm",
                  "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
    checks = [dciodvfy_clean(out)]
    cases.append(Case("export_hostile_neighbours", command, OK, quick=True, checks=checks, outputs=[out]))
    return cases


BUILDERS = (
    codestream_cases,
    image_cases,
    odd_file_cases,
    annotation_cases,
    prompt_cases,
    writer_cases,
)
