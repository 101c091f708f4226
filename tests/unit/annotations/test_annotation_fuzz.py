"""Property: whatever an annotation file holds, a reader returns checked boxes or raises AnnotationError.

Generated inputs cover every format: CSV rows of each layout (NIH, RSNA, VinDr, MS-CXR, plain) and JSON
structures (ChestX-Det10, COCO, plain) whose values are drawn from numbers written as text or JSON (``inf``,
``nan``, huge, negative, zero, ``1_000``, non-ASCII digits), missing fields, wrong types, deep nesting,
surrogates, byte-order marks and CRLF; plus byte-level mutations of the real sample files, image-level label
files and user label maps. Boxes that come back must satisfy the invariants of
:mod:`carzero_viewer.annotations.boxes` and survive scaling to an opened image. ``hypothesis.event`` labels each
outcome, so ``pytest --hypothesis-show-statistics`` gives the counts.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carzero_viewer.annotations import (
    AnnotationError,
    AnnotationSet,
    LabelMap,
    UnknownFormat,
    read_boxes,
    read_image_labels,
)
from carzero_viewer.annotations.boxes import MAX_KEY_CHARS, MAX_LABEL_CHARS, MAX_TEXT_CHARS
from carzero_viewer.imaging import MAX_PIXELS

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE_NUMBERS = [
    "",
    " ",
    "0",
    "-0",
    "0.4",
    "0.0",
    "-5",
    "1e400",
    "-1e400",
    "1e-320",
    "1_000",
    "0x10",
    "\u0661\u0662",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "12abc",
    "1,5",
    " 7 ",
    "+3.",
    ".5",
    "1e308",
    "64000001",
    "99999999999",
]
NUMBER_TEXT = st.one_of(
    st.integers(0, 2048).map(str),
    st.floats(0, 2048, allow_nan=False).map(repr),
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats().map(repr),
    st.integers(10**15, 10**400).map(str),
    st.text(max_size=6),
)
LABEL = st.one_of(
    st.sampled_from(["Effusion", "Mass", "Nodule/Mass", "Pleural_Thickening", "a.png", "p/x.jpg", "R1"]),
    st.sampled_from(["", "  ", "=HYPERLINK(1)", "x" * (MAX_LABEL_CHARS + 1), "\u202e", "a\x00b", "\ud800"]),
    st.text(max_size=12),
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    NUMBER_TEXT,
    LABEL,
)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


JSON_VALUE = st.one_of(
    SCALAR,
    st.lists(SCALAR, max_size=4),
    st.dictionaries(st.text(max_size=4), SCALAR, max_size=3),
    st.sampled_from([60, 64, 65, 300, 5000]).map(_nested),
)
COORD = st.one_of(st.integers(0, 2048), st.floats(0, 2048, allow_nan=False), NUMBER_TEXT, JSON_VALUE)
SIZE = st.one_of(st.integers(1, 4096), st.sampled_from([0, -1, 0.4, 1024.0, 100.5, 10**9]), COORD)

GOOD_TEXT = st.one_of(
    st.sampled_from(["Effusion", "Mass", "Nodule/Mass", "Pleural_Thickening", "Lung Opacity"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=12).filter(
        str.strip
    ),
)
GOOD_IMAGE = st.sampled_from(["00000344_003.png", "a.png", "p10/s5/d1a2.jpg", "1.2.840.113619.2.1", "x.dcm"])
GOOD_NUMBER = st.one_of(st.integers(0, 1500), st.floats(0, 1500, allow_nan=False))
GOOD_EXTENT = st.one_of(st.integers(1, 500), st.floats(0.5, 500))
GOOD_SIDE = st.integers(1, 4096)
HOSTILE = st.one_of(NUMBER_TEXT, LABEL)


@st.composite
def good_rows(draw: st.DrawFn, layout: str) -> dict[str, object]:
    """One valid row (or JSON box) of ``layout``; numbers as Python values, converted by the writer."""
    image, label = draw(GOOD_IMAGE), draw(GOOD_TEXT)
    x, y, w, h = draw(GOOD_NUMBER), draw(GOOD_NUMBER), draw(GOOD_EXTENT), draw(GOOD_EXTENT)
    width, height = draw(GOOD_SIDE), draw(GOOD_SIDE)
    corners = {"x1": x, "y1": y, "x2": x + w, "y2": y + h}
    rows: dict[str, dict[str, object]] = {
        "rsna": {
            "patientId": image,
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "Target": draw(st.sampled_from("01")),
        },
        "vindr": {
            "image_id": image,
            "rad_id": "R1",
            "class_name": label,
            **{"x_min": x, "y_min": y, "x_max": x + w, "y_max": y + h},
        },
        "mscxr": {
            "label_text": f"small {label}",
            "category_name": label,
            "path": f"files/{image}",
            **{"x": x, "y": y, "w": w, "h": h, "image_width": width, "image_height": height},
        },
        "plain": {"image": image, "label": label, **corners, "image_width": width, "image_height": height},
        "nih": {"Image Index": image, "Finding Label": label, "x": x, "y": y, "w": w, "h": h},
    }
    return rows[layout]


@st.composite
def corrupted(draw: st.DrawFn, document: object) -> object:
    """``document`` with 0-2 of its values (none half of the time) replaced by hostile ones or removed."""
    paths: list[tuple[object, object]] = []  # (container, key or index)
    stack = [document]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            paths.append((node, key))
            stack.append(value)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2])) if paths else 0):
        container, key = draw(st.sampled_from(paths))
        if isinstance(container, dict) and draw(st.booleans()) and key in container:
            del container[key]
        elif isinstance(container, dict) or (isinstance(container, list) and key < len(container)):  # type: ignore[operator]
            container[key] = draw(JSON_VALUE)  # type: ignore[index]
    return document


CSV_LAYOUTS = ("rsna", "vindr", "mscxr", "plain", "nih")
NIH_HEADER = "Image Index,Finding Label,Bbox [x,y,w,h],,,"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz")


def _write(folder: Path, text: str | bytes, bom: bool = False) -> Path:
    path = folder / "input"
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _check_boxes(path: Path) -> None:
    """The property: checked boxes, or a one-line AnnotationError naming the file."""
    try:
        boxes = read_boxes(path)
    except UnknownFormat as exc:
        event("unknown format")
        _check_error(path, exc)
        return
    except AnnotationError as exc:
        event("annotation error")
        _check_error(path, exc)
        return
    event("boxes" if boxes else "no boxes")
    for box in boxes:
        assert all(math.isfinite(v) for v in (box.x1, box.y1, box.x2, box.y2))
        assert box.x2 > box.x1 and box.y2 > box.y1
        assert 0 < len(box.label) <= MAX_LABEL_CHARS and 0 < len(box.image_key) <= MAX_KEY_CHARS
        for text in (box.label, box.image_key, box.reader or "", box.text or ""):
            text.encode("utf-8")
        assert box.text is None or len(box.text) <= MAX_TEXT_CHARS
        if box.image_size is not None:
            height, width = box.image_size
            assert isinstance(height, int) and isinstance(width, int)
            assert height >= 1 and width >= 1 and height * width <= MAX_PIXELS
        for x, y in box.polygon or ():
            assert math.isfinite(x) and math.isfinite(y)
    for box in boxes[:5]:
        matched = AnnotationSet(boxes).boxes_for(Path(box.image_key), (512, 384))
        for scaled in matched.boxes:
            assert all(math.isfinite(v) for v in (scaled.x1, scaled.y1, scaled.x2, scaled.y2))
            assert scaled.x2 >= scaled.x1 and scaled.y2 >= scaled.y1  # never mirrored


def _check_error(path: Path, exc: AnnotationError) -> None:
    assert exc.message.startswith(f"{path}: ")
    assert "\n" not in exc.message and "\r" not in exc.message
    exc.message.encode("utf-8")


def _cell(value: object) -> str:
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if not isinstance(value, float)
        else repr(value)
    )


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bool]:
    layout = draw(st.sampled_from(CSV_LAYOUTS))
    rows = [draw(good_rows(layout)) for _ in range(draw(st.integers(0, 4)))]
    columns = list(rows[0]) if rows else list(draw(good_rows(layout)))
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    for _ in range(draw(st.integers(0, 2)) if cells else 0):
        row = draw(st.sampled_from(cells))
        action = draw(st.sampled_from(["replace", "replace", "drop", "extra"]))
        if action == "replace" and row:
            row[draw(st.integers(0, len(row) - 1))] = draw(HOSTILE)
        elif action == "drop" and row:
            del row[draw(st.integers(0, len(row) - 1)) :]
        else:
            row.append(draw(HOSTILE))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    if layout == "nih":
        buffer.write(NIH_HEADER + "\n")
    else:
        writer.writerow(columns)
    writer.writerows(cells)
    text = buffer.getvalue()
    if draw(st.integers(0, 3)) == 0 and text:
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(['"', "\x00", "\r", ",", "\n\n", "\ufeff", "\ud800"]))
            + text[at:]
        )
    return text, draw(st.booleans())


@FUZZ
@given(csv_files())
def test_generated_csv_rows(workdir: Path, generated: tuple[str, bool]) -> None:
    text, bom = generated
    _check_boxes(_write(workdir, text, bom))


@st.composite
def coco_documents(draw: st.DrawFn) -> object:
    boxes = [draw(good_rows("mscxr")) for _ in range(draw(st.integers(0, 3)))]
    images = [
        {"id": i, "file_name": f"img{i}.png", "width": b["image_width"], "height": b["image_height"]}
        for i, b in enumerate(boxes)
    ]
    annotations = [
        {
            "id": i,
            "image_id": i,
            "category_id": i % 2,
            "bbox": [b["x"], b["y"], b["w"], b["h"]],
            "segmentation": [[b["x"], b["y"], b["x"], b["y"] + 1, b["x"] + 1, b["y"]]],
        }
        for i, b in enumerate(boxes)
    ]
    categories = [{"id": 0, "name": draw(GOOD_TEXT)}, {"id": 1, "name": draw(GOOD_TEXT)}]
    return {"images": images, "annotations": annotations, "categories": categories}


@st.composite
def det10_documents(draw: st.DrawFn) -> object:
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        boxes = [draw(good_rows("plain")) for _ in range(draw(st.integers(0, 2)))]
        entries.append(
            {
                "file_name": draw(GOOD_IMAGE),
                "syms": [b["label"] for b in boxes],
                "boxes": [[b["x1"], b["y1"], b["x2"], b["y2"]] for b in boxes],
            }
        )
    return entries


@st.composite
def plain_documents(draw: st.DrawFn) -> object:
    boxes = [draw(good_rows("plain")) for _ in range(draw(st.integers(0, 3)))]
    for box in boxes:
        box["polygon"] = [[box["x1"], box["y1"]], [box["x2"], box["y1"]], [box["x2"], box["y2"]]]
    return {"format": "carzero-boxes/1", "boxes": boxes}


@FUZZ
@given(
    document=st.one_of(coco_documents(), det10_documents(), plain_documents(), JSON_VALUE).flatmap(corrupted),
    ascii_only=st.booleans(),
    bom=st.booleans(),
)
def test_generated_json_structures(workdir: Path, document: object, ascii_only: bool, bom: bool) -> None:
    try:
        text = json.dumps(document, ensure_ascii=ascii_only)  # NaN/Infinity tokens on purpose
    except RecursionError:  # only the 5000-deep values, which json.dumps cannot write itself
        text = "[" * 5000 + "1" + "]" * 5000
    _check_boxes(_write(workdir, text, bom))


SEEDS = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".json") and p.stem != "Data_Entry_2017")
PAYLOADS = [
    b"nan",
    b"-1",
    b"0",
    b"0.4",
    b"1e999",
    b"[[[[",
    b"\xff",
    b"\x00",
    b'"',
    b"\n",
    b",",
    b"{}",
    b"\xed\xa0\x80",
]


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 8), st.sampled_from(PAYLOADS)), min_size=1, max_size=5
    ),
    truncate=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_sample_files(
    workdir: Path, seed: Path, edits: list[tuple[float, int, bytes]], truncate: float | None
) -> None:
    data = bytearray(seed.read_bytes())
    for where, span, payload in edits:
        at = int(where * len(data))
        data[at : at + span] = payload
    if truncate is not None:
        data = data[: int(truncate * len(data))]
    _check_boxes(_write(workdir, bytes(data)))


LABEL_HEADER = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
LABEL_SIZES = "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],"


@FUZZ
@given(
    sizes=st.booleans(),
    rows=st.lists(st.tuples(LABEL, st.lists(LABEL, max_size=3), NUMBER_TEXT, NUMBER_TEXT), max_size=4),
)
def test_generated_image_label_files(
    workdir: Path, sizes: bool, rows: list[tuple[str, list[str], str, str]]
) -> None:
    lines = [LABEL_HEADER + (LABEL_SIZES if sizes else "a,b,")]
    for image, labels, width, height in rows:
        cells = [image, "|".join(labels), "0", "1", "58", "M", "PA", width, height, "0.14", "0.14"]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(cells)
        lines.append(buffer.getvalue().rstrip("\n"))
    path = _write(workdir, "\n".join(lines) + "\n")
    try:
        result = read_image_labels(path)
    except AnnotationError as exc:
        event("annotation error")
        _check_error(path, exc)
        return
    event("labels")
    for height, width in result.original_sizes.values():
        assert height >= 1 and width >= 1 and height * width <= MAX_PIXELS


@FUZZ
@given(st.one_of(st.dictionaries(GOOD_TEXT, GOOD_TEXT, max_size=4), JSON_VALUE).flatmap(corrupted))
def test_generated_label_maps(workdir: Path, document: object) -> None:
    try:
        text = json.dumps(document, ensure_ascii=True)
    except RecursionError:
        text = "{" + '"a":' * 1 + "[" * 5000 + "]" * 5000 + "}"
    path = _write(workdir, text)
    try:
        table = LabelMap.load(path)
    except AnnotationError as exc:
        event("annotation error")
        _check_error(path, exc)
        return
    event("label map")
    for label, finding in table.findings.items():
        label.encode("utf-8")
        assert finding.strip() and len(finding) <= MAX_LABEL_CHARS
