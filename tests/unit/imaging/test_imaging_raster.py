"""PNG / JPEG / TIFF / BMP: every sample PNG opens, full depth is kept, and the model input equals the official
OpenCV decode byte for byte for 8-bit files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from carzero_viewer.errors import ImageLoadError
from carzero_viewer.imaging import SixteenBitRule, SourceFormat, load_image, model_view
from carzero_viewer.model.preprocessing import decode_grayscale, prepare

CXR_DIR = Path(__file__).resolve().parents[2] / "data" / "cxr"
ALL_PNG = sorted(p.name for p in CXR_DIR.glob("*.png"))
RGBA = ["00001369_000.png", "00002578_000.png"]


@pytest.mark.parametrize("name", ALL_PNG)
def test_every_sample_png_opens_and_feeds_the_model_the_official_decode(name: str) -> None:
    path = CXR_DIR / name
    record = load_image(path)
    official = decode_grayscale(path)
    assert record.source_format is SourceFormat.PNG
    assert record.model_input.tobytes() == official.tobytes()
    assert record.model_input.shape == official.shape
    np.testing.assert_array_equal(model_view(record).crop, prepare(official).crop)
    assert record.shape == official.shape


@pytest.mark.parametrize("name", RGBA)
def test_rgba_nih_images_become_greyscale_with_the_stored_values(name: str) -> None:
    path = CXR_DIR / name
    with Image.open(path) as image:
        assert image.mode == "RGBA"
        rgba = np.asarray(image)
    record = load_image(path)
    assert not record.is_color
    np.testing.assert_array_equal(record.pixels, rgba[..., 0].astype(np.float32))
    np.testing.assert_array_equal(record.render(), rgba[..., 0])
    assert any("alpha" in step or "gray-valued" in step for step in record.pipeline)


def test_sixteen_bit_png_keeps_full_depth_and_both_model_rules(tmp_path: Path) -> None:
    twelve_bit = (np.arange(100 * 80, dtype=np.uint16).reshape(100, 80) % 4096).astype(np.uint16)
    path = tmp_path / "scan.png"
    assert cv2.imwrite(str(path), twelve_bit)
    record = load_image(path)
    np.testing.assert_array_equal(record.pixels, twelve_bit.astype(np.float32))
    # Default: full range (0..4095 -> 0..255).
    expected = np.rint(np.clip((twelve_bit - 2047.5) / 4095.0 + 0.5, 0, 1) * 255.0)
    np.testing.assert_array_equal(record.model_input, expected)
    assert record.model_input.max() == 255
    # Official OpenCV behaviour: the high byte only -> 0..15, an almost black image.
    official = load_image(path, sixteen_bit_rule=SixteenBitRule.OPENCV_HIGH_BYTE)
    np.testing.assert_array_equal(official.model_input, twelve_bit >> 8)
    assert official.model_input.tobytes() == decode_grayscale(path).tobytes()
    assert official.content_hash != record.content_hash


def test_sixteen_bit_tiff_and_eight_bit_bmp(tmp_path: Path) -> None:
    data = (np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * 50).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "a.tif"), data)
    tiff = load_image(tmp_path / "a.tif")
    assert tiff.source_format is SourceFormat.TIFF
    np.testing.assert_array_equal(tiff.pixels, data.astype(np.float32))
    grey = (np.arange(30 * 40).reshape(30, 40) % 256).astype(np.uint8)
    assert cv2.imwrite(str(tmp_path / "b.bmp"), grey)
    bmp = load_image(tmp_path / "b.bmp")
    np.testing.assert_array_equal(bmp.model_input, grey)


def test_jpeg_exif_orientation_is_applied_like_the_official_decode(tmp_path: Path) -> None:
    image = np.zeros((40, 80), dtype=np.uint8)
    image[:, :40] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(image).save(path, exif=exif, quality=95)
    record = load_image(path)
    assert record.shape == (80, 40)  # rotated
    assert record.model_input.tobytes() == decode_grayscale(path).tobytes()
    assert record.render()[:35].mean() > 200  # the white half is now on top


def test_colour_jpeg_is_displayed_in_colour(tmp_path: Path) -> None:
    colour = np.zeros((32, 32, 3), dtype=np.uint8)
    colour[..., 0] = 200  # red in RGB
    path = tmp_path / "photo.jpg"
    Image.fromarray(colour).save(path, quality=100)
    record = load_image(path)
    assert record.is_color
    red, green, blue = record.render()[16, 16]
    assert red > 180
    assert green < 30
    assert blue < 30


def test_extension_is_ignored(tmp_path: Path) -> None:
    renamed = tmp_path / "really_a_png.dcm"
    renamed.write_bytes((CXR_DIR / "00000001_000.png").read_bytes())
    assert load_image(renamed).source_format is SourceFormat.PNG


def test_huge_png_is_refused_quickly(tmp_path: Path) -> None:
    ok, buffer = cv2.imencode(".png", np.zeros((10000, 10000), dtype=np.uint8))
    assert ok
    path = tmp_path / "huge.png"
    path.write_bytes(buffer.tobytes())
    with pytest.raises(ImageLoadError, match=r"10000x10000 \(100 megapixels\), above the 64-megapixel limit"):
        load_image(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"hello, this is a text file\n" * 10, "not a recognised image format"),
        (bytes(range(256)) * 40, "not a recognised image format"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "JPEG"),
    ],
)
def test_bad_files_raise_image_load_error_naming_the_file(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=reason) as info:
        load_image(path)
    assert info.value.message.startswith(f"{path}: ")


def test_truncated_png(tmp_path: Path) -> None:
    data = (CXR_DIR / "00000001_000.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="PNG"):
        load_image(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)
