"""Hostile values in annotation files: each is a one-line AnnotationError naming the file and where, never
another exception, a hang, or a box that is silently wrong (issue 11, item 7)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from carzero_viewer.annotations import AnnotationError, AnnotationSet, LabelMap, read_boxes, read_image_labels
from carzero_viewer.annotations.boxes import MAX_ANNOTATION_BYTES

COCO_HEADER = {"categories": [{"id": 1, "name": "Effusion"}]}


def _coco(image: dict[str, object], bbox: list[object]) -> str:
    image = {"id": 1, "file_name": "a.png", **image}
    annotations = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": bbox}]
    return json.dumps({"images": [image], "annotations": annotations, **COCO_HEADER})


def _plain_json(**fields: object) -> str:
    box = {"image": "a.png", "label": "Mass", "x1": 1, "y1": 2, "x2": 30, "y2": 40, **fields}
    return json.dumps({"format": "carzero-boxes/1", "boxes": [box]})


MSCXR = "label_text,category_name,path,x,y,w,h,image_width,image_height\nsmall effusion,Effusion,p/a.jpg,{}\n"
PLAIN_CSV = "image,label,x1,y1,x2,y2,image_width,image_height\na.png,Mass,{}\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # observed: ZeroDivisionError when the boxes were scaled to the opened image
        (_coco({"width": 0, "height": 100}, [1, 1, 5, 5]), "images[0]: width: 0 is outside"),
        (MSCXR.format("1,1,5,5,0.4,10"), "line 2: image_width: 0.4 is outside"),
        (PLAIN_CSV.format("1,1,5,5,0.4,10"), "line 2: image_width: 0.4 is outside"),
        (_plain_json(image_width=0.4, image_height=10), "boxes[0]: image_width: 0.4 is outside"),
        # observed: a negative COCO width mirrored every box
        (_coco({"width": -100, "height": 100}, [10, 10, 20, 20]), "images[0]: width: -100 is outside"),
        (_coco({"width": 100, "height": 100}, [50, 50, -20, 10]), "annotations[0]: bbox w: -20 is outside"),
        (_coco({"width": 100, "height": 100}, [50, 50, 0, 10]), "annotations[0]: bbox w: 0 is outside"),
        (_coco({"width": 100.5, "height": 100}, [1, 1, 5, 5]), "width: 100.5 is not a whole number"),
        (_coco({"width": 100_000, "height": 100_000}, [1, 1, 5, 5]), "above the 64-megapixel budget"),
        (_coco({"width": 100, "height": 100}, [1, 1, "5", "1e400"]), "bbox h: inf is not a finite number"),
        (_coco({"width": 100, "height": 100}, [1, 1, 5, 1e400]), "Infinity is not valid JSON"),
        (PLAIN_CSV.format("1,1,nan,5,,"), "line 2: x2: 'nan' is not a number"),
        (PLAIN_CSV.format("1,1,inf,5,,"), "line 2: x2: 'inf' is not a number"),
        (PLAIN_CSV.format("1,1,1e999,5,,"), "line 2: x2: inf is not a finite number"),
        (PLAIN_CSV.format("1,1,1_000,5,,"), "line 2: x2: '1_000' is not a number"),
        (PLAIN_CSV.format("1,1,5,5,100,"), "line 2: image_height: is empty"),
        (PLAIN_CSV.format("1,1,1,5,,"), "line 2: box has zero or negative width"),
        (PLAIN_CSV.format("1,1,1e300,5,,"), "line 2: x2: 1e+300 is outside"),
        ("patientId,x,y,width,height,Target\np1,1,2,-3,4,1\n", "line 2: width: -3 is outside"),
        ("Image Index,Finding Label,Bbox [x,y,w,h],,,\na.png,Mass,1,2,0,4\n", "line 2: w: 0 is outside"),
        ('[{"file_name": "a.png", "syms": ["Mass"], "boxes": [[1, 2, NaN, 4]]}]', "not valid JSON"),
        ('[{"file_name": "a.png", "syms": ["Mass"], "boxes": [[5, 2, 1, 4]]}]', "entry 0: boxes[0]: box has"),
        (_plain_json(label="\ud800"), "unpaired surrogate"),
        (_plain_json(label="   "), "boxes[0]: label: is empty"),
        (_plain_json(label="x" * 1001), "boxes[0]: label: is 1,001 characters long"),
        (_plain_json(polygon=[[1, 2], [3, 4], [5, "inf"]]), "boxes[0]: polygon[2] y: 'inf' is not a number"),
        # observed: RecursionError
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
        ('{"images": [], "annotations": [], "x": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"),
    ],
)
def test_hostile_value_is_a_one_line_error(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "boxes.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(AnnotationError) as info:
        AnnotationSet.load([path]).boxes_for(Path("a.png"), (100, 100))
    message = info.value.message
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert where in message


def test_valid_sizes_and_boxes_still_read(tmp_path: Path) -> None:
    path = tmp_path / "coco.json"
    path.write_text(_coco({"width": 200.0, "height": 100}, ["10", 10, 20, 20.5]), encoding="utf-8")
    (box,) = read_boxes(path)
    assert box.image_size == (100, 200)
    assert (box.x1, box.y1, box.x2, box.y2) == (10, 10, 30, 30.5)
    scaled = AnnotationSet([box]).boxes_for(Path("a.png"), (50, 100)).boxes[0]
    assert (scaled.x1, scaled.x2) == (5, 15)  # never mirrored: scale factors are positive


def test_bom_and_crlf_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_bytes(b"\xef\xbb\xbf" + PLAIN_CSV.format("1,1,5,5,,").replace("\n", "\r\n").encode())
    assert [b.label for b in read_boxes(path)] == ["Mass"]


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_ANNOTATION_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(AnnotationError, match="at most 67,108,864 are read"):
        read_boxes(path)


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging forever (the old reader blocked on a FIFO)."""

    def timeout(*_: object) -> None:
        raise TimeoutError("reading blocked")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
def test_fifo_is_refused_not_read(tmp_path: Path, alarm: None) -> None:
    fifo = tmp_path / "boxes.csv"
    os.mkfifo(fifo)
    with pytest.raises(AnnotationError, match="not a regular file"):
        read_boxes(fifo)
    with pytest.raises(AnnotationError, match="not a regular file"):
        LabelMap.load(fifo)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ('{"Effusion": "\\udcff"}', "unpaired surrogate"),
        ('{"Effusion": ""}', "finding: is empty"),
        ('["Effusion"]', "must be an object"),
    ],
)
def test_label_map_values_are_checked(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "labels.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"labels\.json: ") as info:
        LabelMap.load(path)
    assert where in info.value.message


HEADER = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
SIZES = "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\n"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("a.png,Mass,0,1,58,M,PA,0,2048,0.14,0.14\n", "line 2: image_width: 0 is outside"),
        ("a.png,Mass,0,1,58,M,PA,2500,-1,0.14,0.14\n", "line 2: image_height: -1 is outside"),
        ("a.png,Mass,0,1,58,M,PA,1e400,2048,0.14,0.14\n", "not a finite number"),
        (",Mass\n", "line 2: Image Index: is empty"),
    ],
)
def test_image_label_sizes_are_checked(tmp_path: Path, row: str, where: str) -> None:
    path = tmp_path / "Data_Entry.csv"
    path.write_text(HEADER + SIZES + row, encoding="utf-8")
    with pytest.raises(AnnotationError) as info:
        read_image_labels(path)
    assert where in info.value.message


def test_image_label_sizes_only_read_under_their_header(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "Image Index,Finding Labels,a,b,c,d,e,f,g\nx.png,Mass,1,2,3,4,5,-6,junk\n", encoding="utf-8"
    )
    labels = read_image_labels(path)
    assert labels.labels == {"x.png": frozenset({"Mass"})} and labels.original_sizes == {}
