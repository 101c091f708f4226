"""Box readers on the real NIH / ChestX-Det10 files and on hand-written samples of the other formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from carzero_viewer.annotations import AnnotationError, Box, detect_format, read_boxes, read_image_labels

DATA = Path(__file__).resolve().parents[2] / "data" / "annotations"


def test_nih_bbox_list_real_file() -> None:
    boxes = read_boxes(DATA / "BBox_List_2017.csv")
    assert len(boxes) == 63  # 64 lines: header + 63 boxes
    first = boxes[0]
    # line 2: 00000865_006.png,Atelectasis,839.050847457627,624.036165916314,78.1016949152542,40.135593220339
    assert first.image_key == "00000865_006.png"
    assert first.label == "Atelectasis"
    assert first.x1 == pytest.approx(839.050847457627)
    assert first.x2 == pytest.approx(839.050847457627 + 78.1016949152542)
    assert first.y2 == pytest.approx(624.036165916314 + 40.135593220339)
    assert first.image_size == (1024, 1024) and first.size_assumed
    assert first.source == "nih:BBox_List_2017.csv"
    counts = {label: sum(b.label == label for b in boxes) for label in {b.label for b in boxes}}
    assert counts == {
        "Atelectasis": 7,
        "Cardiomegaly": 6,
        "Effusion": 7,
        "Infiltrate": 11,
        "Mass": 9,
        "Nodule": 6,
        "Pneumonia": 11,
        "Pneumothorax": 6,
    }


def test_chestx_det10_real_files() -> None:
    train = read_boxes(DATA / "train.json")
    test = read_boxes(DATA / "test.json")
    assert len(train) + len(test) == 34
    assert [(b.label, b.x1, b.y1, b.x2, b.y2) for b in test] == [
        ("Nodule", 816, 331, 852, 380),
        ("Nodule", 172, 609, 223, 658),
        ("Consolidation", 588, 501, 965, 839),
        ("Consolidation", 73, 416, 427, 861),
    ]
    assert {b.image_key for b in test} == {"00002578_000.png"}  # the empty-syms entry yields no box
    assert all(b.image_size == (1024, 1024) and b.size_assumed for b in train + test)


def test_coco_sample() -> None:
    boxes = read_boxes(DATA / "sample_coco.json")
    assert [b.label for b in boxes] == ["Effusion", "Nodule"]
    assert (boxes[0].x1, boxes[0].y1, boxes[0].x2, boxes[0].y2) == (160, 331, 491, 758)
    assert boxes[0].polygon == ((160, 331), (491, 331), (491, 758), (160, 758))
    assert boxes[1].polygon is None  # RLE masks are not decoded
    assert boxes[1].image_size == (1000, 2000) and not boxes[1].size_assumed
    assert (boxes[1].x2, boxes[1].y2) == (120.5, 60)


def test_mscxr_sample() -> None:
    boxes = read_boxes(DATA / "sample_mscxr.csv")
    assert [b.label for b in boxes] == ["Pneumothorax", "Pneumonia"]
    assert boxes[0].image_key == "d1a2b3c4.jpg"
    assert boxes[0].text == "small left apical pneumothorax"
    assert boxes[0].image_size == (3056, 2544)
    assert (boxes[1].x1, boxes[1].y1, boxes[1].x2, boxes[1].y2) == (300, 900, 700, 1200)


def test_vindr_sample_keeps_readers_and_skips_no_finding() -> None:
    boxes = read_boxes(DATA / "sample_vindr.csv")
    assert [b.reader for b in boxes] == ["R10", "R8", "R9"]
    assert boxes[2].label == "Nodule/Mass" and boxes[2].x1 == 1200.5
    assert all(b.image_size is None for b in boxes)


def test_rsna_sample_skips_negatives() -> None:
    boxes = read_boxes(DATA / "sample_rsna.csv")
    assert len(boxes) == 2 and all(b.label == "Pneumonia" for b in boxes)
    assert (boxes[0].x1, boxes[0].y1, boxes[0].x2, boxes[0].y2) == (264, 152, 477, 531)
    assert boxes[0].image_key == "00436515-870c-4b36-a041-de91049b9ab4"


def test_plain_csv_and_json() -> None:
    csv_boxes = read_boxes(DATA / "sample_plain.csv")
    assert csv_boxes[0].image_size == (1024, 1024) and csv_boxes[1].image_size is None
    assert csv_boxes[1].reader == "R1" and csv_boxes[1].x1 == 5.5
    (json_box,) = read_boxes(DATA / "sample_plain.json")
    assert json_box.image_size == (256, 512)
    assert json_box.polygon == ((10, 20), (30, 20), (30, 60))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BBox_List_2017.csv", "nih"),
        ("train.json", "chestx_det10"),
        ("sample_coco.json", "coco"),
        ("sample_mscxr.csv", "mscxr"),
        ("sample_vindr.csv", "vindr"),
        ("sample_rsna.csv", "rsna"),
        ("sample_plain.csv", "plain"),
        ("sample_plain.json", "plain"),
    ],
)
def test_detection_is_by_content(tmp_path: Path, name: str, expected: str) -> None:
    copy = tmp_path / "annotations.txt"  # no telling extension
    copy.write_bytes((DATA / name).read_bytes())
    assert detect_format(copy) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Image Index,Finding Label,Bbox [x,y,w,h],,,\na.png,Mass,1,2,3,4\nb.png,Mass,1,2,oops,4\n",
            "line 3: w: 'oops' is not a number",
        ),
        ("Image Index,Finding Label,Bbox [x,y,w,h],,,\na.png,Mass,1,2,3\n", "line 2: expected 6 values"),
        (
            "image,label,x1,y1,x2,y2\na.png,Mass,10,10,5,20\n",
            "line 2: box has zero or negative width or height",
        ),
        (
            "patientId,x,y,width,height,Target\np1,1,2,3,4,1\n\np2,1,2,3,4,2\n",
            "line 4: Target must be 0 or 1",
        ),
        (
            "image_id,rad_id,class_name,x_min,y_min,x_max,y_max\ni,R1,Mass,1,2,3\n",
            "line 2: expected at least 7",
        ),
        (
            '[{"file_name": "a.png", "syms": ["Mass"], "boxes": [[1, 2, 3]]}]',
            "entry 0: boxes[0]: must be [x1, y1, x2, y2]",
        ),
        ('{"images": [], \n "annotations": [}', "not valid JSON (Expecting value at line 2"),
        ("foo,bar\n1,2\n", "unrecognised annotation format; first line is 'foo,bar'"),
    ],
)
def test_malformed_rows_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotationError) as info:
        read_boxes(path)
    assert message in info.value.message
    assert info.value.message.startswith(str(path))


def test_missing_file_is_an_annotation_error(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="does not exist"):
        read_boxes(tmp_path / "nope.csv")


def test_data_entry_labels_real_file() -> None:
    labels = read_image_labels(DATA / "Data_Entry_2017.csv")
    assert len(labels.labels) == 50
    assert labels.labels["00000344_003.png"] == {"Atelectasis", "Effusion", "Infiltration"}
    assert labels.original_sizes["00000398_003.png"] == (2048, 2500)  # (height, width)


def test_box_scaled_to_and_area() -> None:
    box = Box(10, 20, 30, 60, "Mass", "plain:x", "a.png", image_size=(100, 200))
    assert box.area == 800
    scaled = box.scaled_to(300, 100)  # y x3, x x0.5
    assert (scaled.x1, scaled.y1, scaled.x2, scaled.y2) == (5, 60, 15, 180)
    assert scaled.image_size == (300, 100)
    unsized = Box(1, 2, 3, 4, "Mass", "vindr:x", "a")
    assert unsized.scaled_to(50, 60).x2 == 3
