"""Hostile inputs for ``hostile_inputs.py``, crafted here from the descriptions in issue 11.

Every builder writes its inputs under its own case folder and returns :class:`Case` objects: the command to
run (the real CLI in a subprocess), what a correct outcome is, and the extra checks that only the case knows
(a marker file that a refused pickle must not create, an output file that must be left unchanged, zero
``dciodvfy`` errors). Nothing is taken from the project's own tests or imported from ``carzero_viewer``: the
inputs are built with torch, safetensors, pydicom, numpy and Pillow directly, so the harness can catch what
the fixes' authors did not think of.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Check = Callable[[], "str | None"]  # returns the reason a case fails, or None
OK, ERROR, EITHER = "ok", "error", "either"
PROMPT = "pleural effusion"
DEEP = 100_000  # nesting depth of the deep JSON / pickle inputs: far past any recursion limit
ROWS_LIE = 1_050_336  # the rows a lying JPEG 2000 SIZ declares in the issue
PLACEHOLDER = "HOSTILE-PLACEHOLDER-7f3a"


@dataclass
class Case:
    """One hostile input run through one command.

    Attributes:
        name: unique, short, used as the folder name.
        command: argv (bytes allowed, for arguments that are not valid UTF-8).
        expect: ``ok`` (exit 0, correct result), ``error`` (one-line error naming ``names``) or ``either``.
        names: what the error line must contain (the hostile file's name).
        quick: part of the ``--quick`` subset.
        checks: extra checks run after the command.
        outputs: files or folders the command writes (checked: no empty file, strict JSON, safe CSV).
        time_limit_s: the child is killed (a hang) after this long; the acceptance bound is 120 s.
        skip: why the case cannot run on this machine (empty when it can).
    """

    name: str
    command: list[str | bytes]
    expect: str
    names: str = ""
    quick: bool = False
    checks: list[Check] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    time_limit_s: float = 120.0
    skip: str = ""


@dataclass
class Context:
    """Shared inputs: where to write, the tiny weights in both forms, the scoring image and DICOM samples."""

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


def deep_json(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------- checks


def unchanged(path: Path) -> Check:
    before = path.read_bytes()
    return lambda: None if path.read_bytes() == before else f"{path.name} was modified"


def absent(path: Path) -> Check:
    return lambda: f"{path} exists (the refused input ran code)" if path.exists() else None


def only(folder: Path, names: set[str]) -> Check:
    def check() -> str | None:
        extra = sorted(p.name for p in folder.iterdir() if p.name not in names)
        return f"left behind in {folder.name}/: {extra}" if extra else None

    return check


def dciodvfy_clean(folder: Path, at_least: int = 1) -> Check:
    def check() -> str | None:
        if shutil.which("dciodvfy") is None:
            return "dciodvfy is not installed (apt-get install dicom3tools)"
        written = sorted(folder.rglob("*.dcm"))
        if len(written) < at_least:
            return f"{len(written)} DICOM file(s) written, expected >= {at_least}"
        for dcm in written:
            done = subprocess.run(["dciodvfy", str(dcm)], capture_output=True, text=True, check=False)
            errors = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.startswith("Error")]
            if errors:
                return f"dciodvfy: {len(errors)} error(s) in {dcm.name}: {errors[0]}"
        return None

    return check


def png_levels(path: Path, min_levels: int, min_max: int) -> Check:
    """The rendering exists and is not saturated to a few levels nor almost black."""

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


# ---------------------------------------------------------------- mounts (full and read-only disks)


def mount_tmpfs(ctx: Context, folder: Path, read_only: bool = False) -> str:
    """Mount a 64 KiB tmpfs on ``folder`` (filled to the last byte unless read-only); returns a skip reason."""
    if not ctx.can_mount:
        return "needs root and tmpfs mounts (mount -t tmpfs) to simulate a full or read-only disk"
    options = "size=64k" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        return f"mount failed: {done.stderr.decode(errors='replace').strip()}"
    ctx.mounts.append(folder)
    if not read_only:
        with contextlib.suppress(OSError), (folder / "filler").open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    return ""


# ---------------------------------------------------------------- weights


def _copy_weights(src: Path, dest: Path, checkpoint: str | None) -> Path:
    shutil.copytree(src / "bert", dest / "bert", dirs_exist_ok=True)
    if checkpoint is not None:
        shutil.copy(src / checkpoint, dest / checkpoint)
    return dest


def _binunicode(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def spliced_checkpoint(payload: dict[str, Any], key: str, opcodes: bytes, dest: Path) -> None:
    """``torch.save`` ``payload`` with ``payload[key]`` replaced by raw pickle ``opcodes`` (protocol 2)."""
    import torch

    buffer = io.BytesIO()
    torch.save({**payload, key: PLACEHOLDER}, buffer)
    marker = _binunicode(PLACEHOLDER)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data.pkl"):
                assert data.count(marker) == 1, "placeholder not found exactly once"
                data = data.replace(marker, opcodes)
            out.writestr(info.filename, data)


def weights_cases(ctx: Context) -> list[Case]:
    import torch
    from safetensors.torch import load_file, save_file

    payload = torch.load(ctx.ckpt / "checkpoint.ckpt", weights_only=True)
    cases: list[Case] = []

    def ckpt_case(name: str, expect: str, quick: bool = False, **changes: Any) -> Path:
        folder = _copy_weights(ctx.ckpt, ctx.folder(name), None)
        torch.save({**payload, **changes}, folder / "checkpoint.ckpt")
        out = folder / "out.json"
        cases.append(
            Case(name, score(ctx, folder, "--json", out), expect, "checkpoint.ckpt", quick, outputs=[out])
        )
        return folder

    def arch(**vit: Any) -> dict[str, Any]:
        return {**payload["fixture_architecture"], "vit": {**payload["fixture_architecture"]["vit"], **vit}}

    def tensors(fn: Callable[[Any], Any]) -> dict[str, Any]:
        return {k: fn(v) for k, v in payload["state_dict"].items()}

    ckpt_case("ckpt_hparam_string_size", ERROR, hyper_parameters={"data": {"image": {"imsize": "1024px"}}})
    ckpt_case("ckpt_hparam_inf_size", ERROR, hyper_parameters={"data": {"text": {"word_num": float("inf")}}})
    ckpt_case("ckpt_arch_string_heads", ERROR, fixture_architecture=arch(num_heads="four"))
    ckpt_case("ckpt_negative_layernorm_eps", ERROR, True, fixture_architecture=arch(layernorm_eps=-1.0))
    ckpt_case("ckpt_fp16", EITHER, True, state_dict=tensors(lambda t: t.half()))
    ckpt_case("ckpt_bf16", EITHER, state_dict=tensors(lambda t: t.bfloat16()))
    ckpt_case("ckpt_fp64", EITHER, state_dict=tensors(lambda t: t.double()))
    cls_key = next(k for k in payload["state_dict"] if k.endswith("cls_token"))
    huge = torch.zeros(1, dtype=torch.float16).expand(1, 65536, 65536)  # 4.3e9 elements on one storage slot
    ckpt_case("ckpt_zero_stride_tensor", ERROR, True, state_dict={**payload["state_dict"], cls_key: huge})

    spliced = {
        "ckpt_deep_hparams": ("hyper_parameters", (b"}" + _binunicode("a")) * DEEP + b"}" + b"s" * DEEP),
        "ckpt_2gb_bytearray": (
            "callbacks",
            b"cbuiltins\nbytearray\n\x8a\x05" + (2**31).to_bytes(5, "little"),
        ),
    }
    for name, (key, opcodes) in spliced.items():
        folder = _copy_weights(ctx.ckpt, ctx.folder(name), None)
        suffix = b"\x85R" if name == "ckpt_2gb_bytearray" else b""  # TUPLE1 + REDUCE: bytearray(2**31)
        spliced_checkpoint(payload, key, opcodes + suffix, folder / "checkpoint.ckpt")
        quick = name == "ckpt_2gb_bytearray"
        cases.append(Case(name, score(ctx, folder), ERROR, "checkpoint.ckpt", quick))

    for name, zipped in (("ckpt_pickle_os_system", True), ("ckpt_legacy_pickle_os_system", False)):
        folder = _copy_weights(ctx.ckpt, ctx.folder(name), None)
        marker = folder / "PWNED"
        opcodes = b"cos\nsystem\n" + _binunicode(f"touch {marker}") + b"\x85R"
        if zipped:
            spliced_checkpoint(payload, "callbacks", opcodes, folder / "checkpoint.ckpt")
        else:
            (folder / "checkpoint.ckpt").write_bytes(b"\x80\x02" + opcodes + b".")
        cases.append(Case(name, score(ctx, folder), ERROR, "checkpoint.ckpt", zipped, [absent(marker)]))

    folder = _copy_weights(ctx.ckpt, ctx.folder("ckpt_truncated"), None)
    data = (ctx.ckpt / "checkpoint.ckpt").read_bytes()
    (folder / "checkpoint.ckpt").write_bytes(data[: len(data) // 2])
    cases.append(Case("ckpt_truncated", score(ctx, folder), ERROR, "checkpoint.ckpt", True))

    def bert_case(name: str, file: str, text: str, quick: bool = False) -> None:
        folder = _copy_weights(ctx.tiny, ctx.folder(name), "checkpoint.ckpt")
        (folder / "bert" / file).write_text(text, encoding="utf-8")
        cases.append(Case(name, score(ctx, folder), ERROR, file, quick))

    bert_config = json.loads((ctx.tiny / "bert" / "config.json").read_text())
    vocab = (ctx.tiny / "bert" / "vocab.txt").read_text(encoding="utf-8").splitlines()
    bert_case("bert_tokenizer_option_type", "tokenizer_config.json", '{"do_lower_case": "yes"}')
    bert_case(
        "bert_negative_layernorm_eps", "config.json", json.dumps({**bert_config, "layer_norm_eps": -1.0})
    )
    bert_case("bert_config_deep", "config.json", deep_json())
    bert_case("bert_vocab_duplicates", "vocab.txt", "\n".join([*vocab[:-1], vocab[-2]]) + "\n", True)

    tensors_st = load_file(str(ctx.safetensors / "checkpoint.safetensors"))
    from safetensors import safe_open

    with safe_open(str(ctx.safetensors / "checkpoint.safetensors"), "pt") as handle:
        metadata = dict(handle.metadata())
    config = json.loads(metadata["carzero_config"])

    def st_case(name: str, expect: str, config_text: str, quick: bool = False, half: bool = False) -> None:
        folder = _copy_weights(ctx.safetensors, ctx.folder(name), None)
        stored = {k: v.half() for k, v in tensors_st.items()} if half else tensors_st
        save_file(stored, str(folder / "checkpoint.safetensors"), {**metadata, "carzero_config": config_text})
        out = folder / "out.json"
        command = score(ctx, folder, "--json", out)
        cases.append(Case(name, command, expect, "checkpoint.safetensors", quick, outputs=[out]))

    def vision(**changes: Any) -> str:
        return json.dumps({**config, "vision": {**config["vision"], **changes}})

    st_case("st_depth_100000", ERROR, vision(depth=100_000), True)
    st_case("st_patch_size_0", ERROR, vision(patch_size=0))
    st_case("st_string_size", ERROR, vision(embed_dim="64"))
    st_case("st_infinite_size", ERROR, vision(img_size=float("inf")))
    st_case("st_negative_layernorm_eps", ERROR, vision(layernorm_eps=-1.0))
    st_case("st_deep_config", ERROR, deep_json(), True)
    st_case("st_fp16", EITHER, json.dumps(config), half=True)
    folder = _copy_weights(ctx.safetensors, ctx.folder("st_truncated"), None)
    data = (ctx.safetensors / "checkpoint.safetensors").read_bytes()
    (folder / "checkpoint.safetensors").write_bytes(data[: len(data) * 2 // 3])
    cases.append(Case("st_truncated", score(ctx, folder), ERROR, "checkpoint.safetensors"))
    return cases


# ---------------------------------------------------------------- images


def _patch_be(data: bytearray, offset: int, value: int, size: int) -> None:
    data[offset : offset + size] = value.to_bytes(size, "big")


def _jpeg_sof(data: bytes, sof_markers: set[int]) -> int:
    """Offset of the first frame header (SOFn) of the first JPEG codestream in ``data``."""
    pos = data.index(b"\xff\xd8\xff") + 2
    while True:
        marker = data[pos + 1]
        if marker in sof_markers:
            return pos
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def lying_codestreams(ctx: Context, folder: Path) -> dict[str, Path]:
    """JPEG 2000 / JPEG / JPEG-LS DICOMs whose codestream declares a size Rows/Columns do not."""
    out: dict[str, Path] = {}
    j2k = bytearray((ctx.dicom_dir / "RG1_J2KI.dcm").read_bytes())
    soc = j2k.index(b"\xff\x4f\xff\x51")
    _patch_be(j2k, soc + 12, ROWS_LIE, 4)  # SIZ: Lsiz, Rsiz, Xsiz, then Ysiz
    sofs = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    jpeg = bytearray((ctx.dicom_dir / "RG2_JPLY_fixed.dcm").read_bytes())
    jls = bytearray((ctx.dicom_dir / "RG2_JPLL.dcm").read_bytes())
    for data, markers in ((jpeg, sofs), (jls, {0xF7})):
        sof = _jpeg_sof(bytes(data), markers)
        _patch_be(data, sof + 5, 65535, 2)  # Y (lines)
        _patch_be(data, sof + 7, 65535, 2)  # X (samples per line)
    for name, data in (("j2k_siz_lie", j2k), ("jpeg_sof_lie", jpeg), ("jpegls_sof55_lie", jls)):
        out[name] = folder / f"{name}.dcm"
        out[name].write_bytes(bytes(data))
    return out


def damaged(source: Path, dest: Path, truncate: bool) -> Path:
    """``source`` cut at 60%, or with 4 KiB of its codestream's headers and data overwritten by noise."""
    data = bytearray(source.read_bytes())
    if truncate:
        del data[len(data) * 3 // 5 :]
    else:
        start = max(data.find(b"\xff\x4f\xff\x51"), data.find(b"\xff\xd8\xff")) + 2
        data[start : start + 4096] = np.random.default_rng(11).integers(0, 256, 4096, np.uint8).tobytes()
    dest.write_bytes(bytes(data))
    return dest


def write_dicom(path: Path, pixels: np.ndarray, float_pixels: bool = False, **attrs: Any) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
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
    elif ds.BitsAllocated == 1:
        from pydicom.pixels import pack_bits

        ds.PixelData = pack_bits(pixels)
    else:
        ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def huge_png(path: Path, side: int = 100_000) -> Path:
    """A PNG whose IHDR declares ``side`` x ``side`` 8-bit grey (valid CRCs) with a few real rows."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side + 1) * 4)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    return path


def image_cases(ctx: Context) -> list[Case]:
    from PIL import Image

    folder = ctx.folder("images")
    cases: list[Case] = []
    for name, path in lying_codestreams(ctx, folder).items():
        cases.append(
            Case(f"inspect_{name}", cli("inspect", path), ERROR, path.name, name == "jpegls_sof55_lie")
        )
    lie = folder / "j2k_siz_lie.dcm"
    cases.append(Case("score_j2k_siz_lie", score(ctx, ctx.tiny, image=lie), ERROR, lie.name, True))
    for name, source in (("j2k", "RG1_J2KI.dcm"), ("jpeg", "RG2_JPLY_fixed.dcm")):
        for truncate in (True, False):
            label = f"{name}_{'truncated' if truncate else 'damaged'}"
            path = damaged(ctx.dicom_dir / source, folder / f"{label}.dcm", truncate)
            expect = ERROR if truncate else EITHER
            cases.append(
                Case(f"inspect_{label}", cli("inspect", path), expect, path.name, label == "j2k_damaged")
            )

    grad = np.linspace(0, 65535, 256 * 256).reshape(256, 256).astype(np.uint16)
    png16 = folder / "sixteen_bit.png"
    Image.fromarray(grad).save(png16)
    cases.append(Case("score_16bit_png", score(ctx, ctx.tiny, image=png16), OK, quick=True))
    cases.append(Case("inspect_16bit_png", cli("inspect", png16, "--json"), OK))

    rgb32 = np.linspace(0, 2**32 - 1, 64 * 64 * 3).reshape(64, 64, 3).astype(np.uint32)
    rgb = write_dicom(folder / "rgb32.dcm", rgb32, SamplesPerPixel=3, PhotometricInterpretation="RGB",
                      PlanarConfiguration=0, BitsAllocated=32, BitsStored=32, HighBit=31)  # fmt: skip
    display = ctx.folder("out_rgb32") / "display.png"
    checks = [png_levels(display, min_levels=32, min_max=128)]
    cases.append(Case("inspect_32bit_colour_dicom", cli("inspect", rgb, "--save-display", display), OK,
                      checks=checks))  # fmt: skip
    bits = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.uint8)
    one = write_dicom(folder / "one_bit.dcm", bits, BitsAllocated=1, BitsStored=1, HighBit=0)
    display = ctx.folder("out_1bit") / "display.png"
    checks = [png_levels(display, min_levels=2, min_max=200)]
    cases.append(
        Case("inspect_1bit_dicom", cli("inspect", one, "--save-display", display), OK, checks=checks)
    )
    cases.append(Case("score_1bit_dicom", score(ctx, ctx.tiny, image=one), OK))
    floats = np.linspace(-1, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    floats[::7, ::5] = np.nan
    nan = write_dicom(folder / "float_nan.dcm", floats, float_pixels=True, BitsAllocated=32)
    cases.append(Case("inspect_float_nan_dicom", cli("inspect", nan, "--json"), EITHER, nan.name))
    cases.append(Case("inspect_float_nan_dicom_text", cli("inspect", nan), EITHER, nan.name))

    png = huge_png(folder / "huge_ihdr.png")
    cases.append(Case("inspect_png_100000x100000", cli("inspect", png), ERROR, png.name))
    cases.append(Case("score_png_100000x100000", score(ctx, ctx.tiny, image=png), ERROR, png.name))
    fifo = folder / "fifo.png"
    os.mkfifo(fifo)
    hang = 30.0  # nothing ever writes to the FIFO: past a model load, still waiting is a hang
    cases.append(Case("inspect_fifo", cli("inspect", fifo), ERROR, fifo.name, True, time_limit_s=hang))
    cases.append(Case("score_fifo", score(ctx, ctx.tiny, image=fifo), ERROR, fifo.name, time_limit_s=hang))
    cases.append(dicomdir_case(ctx))
    return cases


def dicomdir_case(ctx: Context) -> Case:
    """A DICOMDIR whose file IDs climb out with ``..`` or are absolute, listed through the study scan."""
    from pydicom.dataset import Dataset

    study = ctx.folder("dicomdir_escape/study")
    secret = ctx.folder("dicomdir_escape/secret")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", secret / "outside.dcm")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", study / "inside.dcm")
    records = []
    warnings.simplefilter("ignore")  # pydicom warns about the very values this case needs
    for file_id in (["inside.dcm"], ["..", "secret", "outside.dcm"], [str(secret / "outside.dcm")]):
        record = Dataset()
        record.DirectoryRecordType, record.ReferencedFileID = "IMAGE", file_id
        records.append(record)
    write_dicom(study / "DICOMDIR", np.zeros((8, 8), np.uint8), BitsAllocated=8, BitsStored=8, HighBit=7,
                DirectoryRecordSequence=records)  # fmt: skip
    listing = study.parent / "listing.json"
    code = (
        "import json, sys; from carzero_viewer.imaging.study import scan_folder; "
        "json.dump([str(e.path) for e in scan_folder(sys.argv[1])], open(sys.argv[2], 'w'))"
    )
    return Case("study_dicomdir_escape", [sys.executable, "-c", code, str(study), str(listing)], OK,
                checks=[inside(study, listing)])  # fmt: skip


# ---------------------------------------------------------------- annotations and prompts


def annotation_cases(ctx: Context) -> list[Case]:
    folder = ctx.folder("annotations")
    images = ctx.folder("annotations/images")
    shutil.copy(ctx.image, images / "00002578_000.png")
    cases: list[Case] = []

    def coco(image_width: float, box_w: float) -> str:
        return json.dumps({
            "images": [{"id": 1, "file_name": "00002578_000.png", "width": image_width, "height": 1024}],
            "categories": [{"id": 1, "name": "Nodule"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 100, box_w, 50]}],
        })  # fmt: skip

    mscxr = "dicom_id,category_name,label_text,path,x,y,w,h,image_width,image_height\n"
    mscxr += "00002578_000,Nodule,nodule,files/00002578_000.jpg,10,10,50,50,0.4,1024\n"
    plain = "image,label,x1,y1,x2,y2,image_width,image_height\n00002578_000.png,Nodule,10,10,60,60,0.4,1024\n"
    formula = '00002578_000.png,"=HYPERLINK(""http://x"")",10,10,60,60,1024,1024\n'
    inputs = {
        "coco_image_width_0.json": (coco(0, 50), ERROR, True),
        "coco_negative_image_width.json": (coco(-1024, 50), ERROR, False),
        "coco_negative_box_width.json": (coco(1024, -50), ERROR, False),
        "mscxr_image_width_0.4.csv": (mscxr, ERROR, True),
        "plain_image_width_0.4.csv": (plain, ERROR, False),
        "deep.json": (deep_json(), ERROR, True),
        "formula_labels.csv": (plain.splitlines()[0] + "\n" + formula, OK, False),
    }
    for file_name, (text, expect, quick) in inputs.items():
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        out = folder / f"out_{path.stem}"
        command = cli("eval", "--images", images, "--annotations", path, "--out", out, "--bootstrap", "10",
                      "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
        cases.append(Case(f"eval_{path.stem}", command, expect, file_name, quick, outputs=[out]))
    label_map = folder / "label_map_deep.json"
    label_map.write_text(deep_json())
    command = cli("eval", "--images", images, "--annotations", folder / "formula_labels.csv", "--label-map",
                  label_map, "--out", folder / "out_label_map", "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
    cases.append(Case("eval_label_map_deep", command, ERROR, label_map.name))

    prompts = folder / "prompts_deep.json"
    prompts.write_text(deep_json())
    cases.append(Case("score_prompts_file_deep", cli("score", ctx.image, "--prompts-file", prompts, "--weights",
                                                     ctx.tiny), ERROR, prompts.name, True))  # fmt: skip
    surrogate = folder / "prompts_surrogate.json"
    surrogate.write_text('["pleural effusion", "\\ud800 nodule"]')
    cases.append(Case("score_prompts_file_lone_surrogate", cli("score", ctx.image, "--prompts-file", surrogate,
                                                               "--weights", ctx.tiny), ERROR, surrogate.name))  # fmt: skip
    out = folder / "out_surrogate_argv.json"
    command = cli("score", ctx.image, "--prompt", b"\xff nodule", "--json", out, "--weights", ctx.tiny)
    cases.append(Case("score_prompt_lone_surrogate_argv", command, EITHER, quick=True, outputs=[out]))
    return cases


# ---------------------------------------------------------------- writers


def writer_cases(ctx: Context) -> list[Case]:
    cases: list[Case] = []
    folder = ctx.folder("writers")
    for flag, name in (("--json", "scores.json"), ("--arrays", "arrays.npz")):
        existing = folder / name
        existing.write_bytes(b"KEEP: written by a previous run\n")
        case = f"score_{flag[2:]}_existing_no_force"
        cases.append(Case(case, score(ctx, ctx.tiny, flag, existing), ERROR, name, flag == "--json",
                          [unchanged(existing)]))  # fmt: skip
    display = folder / "display.png"
    display.write_bytes(b"KEEP")
    cases.append(Case("inspect_save_display_existing", cli("inspect", ctx.image, "--save-display", display),
                      ERROR, display.name, checks=[unchanged(display)]))  # fmt: skip

    report = ctx.folder("writers/eval_out")
    for name in ("report.html", "summary.json", "summary.csv"):
        (report / name).write_text("KEEP")
    command = cli("eval", "--images", ctx.image.parent, "--annotations", ctx.folder("writers") / "boxes.csv",
                  "--out", report, "--bootstrap", "10", "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
    (folder / "boxes.csv").write_text(f"image,label,x1,y1,x2,y2\n{ctx.image.name},Effusion,10,10,90,90\n")
    cases.append(
        Case("eval_existing_report_no_force", command, ERROR, "", checks=[unchanged(report / "summary.json")])
    )

    disks = (
        ("score_json_full_disk", False, lambda d: score(ctx, ctx.tiny, "--json", d / "scores.json"), "scores.json"),
        ("score_json_read_only", True, lambda d: score(ctx, ctx.tiny, "--json", d / "scores.json"), "scores.json"),
        ("inspect_display_full_disk", False, lambda d: cli("inspect", ctx.image, "--save-display", d / "d.png"),
         "d.png"),
        ("weights_convert_full_disk", False, lambda d: cli("weights", "convert", ctx.tiny, d / "w", "--to",
                                                           "safetensors"), "w"),
    )  # fmt: skip
    for name, read_only, command_for, target in disks:
        disk = ctx.folder(f"writers/{name}")
        skip = mount_tmpfs(ctx, disk, read_only)
        keep = set() if read_only else {"filler"}
        cases.append(Case(name, command_for(disk), ERROR, target, name == "score_json_full_disk",
                          [only(disk, keep)], skip))  # fmt: skip
    return cases


# ---------------------------------------------------------------- export


def export_cases(ctx: Context, quick_files: tuple[str, ...]) -> list[Case]:
    cases: list[Case] = []
    for dcm in sorted(ctx.dicom_dir.glob("*.dcm")):
        out = ctx.work / f"export_{dcm.stem[:40]}"
        command = cli("export", dcm, "--prompt", PROMPT, "--out", out, "--format", "png,pdf,csv,json,dcm",
                      "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
        cases.append(Case(f"export_{dcm.stem[:40]}", command, OK, quick=dcm.name in quick_files,
                          checks=[dciodvfy_clean(out)], outputs=[out]))  # fmt: skip

    folder = ctx.folder("export_neighbours/images")
    shutil.copy(ctx.dicom_dir / "emri_small.dcm", folder / "scan.dcm")
    (folder / "broken.csv").write_bytes(b'image,label,x1\n\xff\xfe\x00garbage,"unterminated\n')
    (folder / "deep.json").write_text(deep_json())
    (folder / "zero_width.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "scan.dcm", "width": 0, "height": 0}],
        "categories": [{"id": 1, "name": "Effusion"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}]}))  # fmt: skip
    (folder / "labels.csv").write_text(
        'image,label,x1,y1,x2,y2\nscan.dcm,"=HYPERLINK(""http://x"")",1,1,20,20\nscan.dcm,@SUM(A1),2,2,9,9\n'
    )
    out = ctx.work / "export_neighbours/out"
    command = cli("export", folder / "scan.dcm", "--prompt", '=HYPERLINK("http://x")', "--prompt", "+cmd",
                  "--out", out, "--format", "png,csv,json,dcm", "--weights", ctx.tiny, "--device", "cpu")  # fmt: skip
    cases.append(Case("export_hostile_neighbours_and_formulas", command, OK, quick=True,
                      checks=[dciodvfy_clean(out)], outputs=[out]))  # fmt: skip
    return cases
