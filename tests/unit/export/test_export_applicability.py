"""The applicability check in every export: the legend strip, the PNG text chunks, the PDF, the CSV/JSON reports."""

from __future__ import annotations

import csv
import io

import numpy as np

from carzero_viewer.export.pdf import report_figure
from carzero_viewer.export.render import (
    APPLICABILITY_COLOUR,
    APPLICABILITY_TITLE,
    MIN_LEGEND_WIDTH,
    LegendInfo,
    RenderRequest,
    describe_figure,
    legend_lines,
    png_text,
    render,
)
from carzero_viewer.export.reports import Provenance, ReportRow, csv_text, json_document

REASONS = (
    "Modality is MR (magnetic resonance), not a radiograph (CR/DX)",
    "=the image is 64x64 pixels",  # a reason starting like a formula: its CSV cell is neutralised
)


def _row(reasons: tuple[str, ...]) -> ReportRow:
    provenance = Provenance(model_id="m", weights_checksum="0" * 64, model_status="untrained", template=None)
    return ReportRow("a.dcm", "h", "edema", "There is edema.", "edema", 1.0, 1.0, 1.0, provenance,
                     applicability_reasons=reasons)  # fmt: skip


def test_the_legend_lists_every_reason_in_the_warning_colour() -> None:
    lines = legend_lines(LegendInfo(image_name="a.dcm", applicability_reasons=REASONS), None)
    warned = [text for text, colour in lines if colour == APPLICABILITY_COLOUR]
    assert warned == [APPLICABILITY_TITLE, *(f"- {reason}" for reason in REASONS)]
    assert not [
        c for _t, c in legend_lines(LegendInfo(image_name="a.png"), None) if c == APPLICABILITY_COLOUR
    ]


def test_the_rendered_strip_shows_the_warning() -> None:
    def orange(legend: LegendInfo) -> int:
        strip = render(RenderRequest(np.full((60, 400), 0.5), legend=legend))[60:]
        return int(np.all(strip == APPLICABILITY_COLOUR, axis=2).sum())

    assert orange(LegendInfo(applicability_reasons=REASONS)) > 50
    assert orange(LegendInfo()) == 0


def test_the_figure_text_and_png_chunks_carry_the_reasons() -> None:
    description = describe_figure("prompt map", "There is edema.", 1.0, "m", False, REASONS)
    assert all(reason in description for reason in REASONS)
    assert description.endswith("Not for diagnostic use.")
    chunks = png_text(description, REASONS)
    assert all(reason in chunks["Applicability"] for reason in REASONS)
    assert png_text(describe_figure("map", "", None, "m", False))["Applicability"].startswith("ok")


def test_csv_and_json_rows_say_whether_the_image_is_applicable() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_text([_row(REASONS), _row(())]))))
    assert [r["applicable"] for r in rows] == ["0", "1"]
    assert rows[0]["applicability_reasons"] == "; ".join(REASONS)
    assert rows[1]["applicability_reasons"] == ""
    (reversed_row,) = csv.DictReader(io.StringIO(csv_text([_row(REASONS[::-1])])))
    assert reversed_row["applicability_reasons"].startswith("'=the image")  # files.csv_cell neutralised it
    entries = json_document([_row(REASONS), _row(())])["results"]
    assert [(e["applicable"], e["applicability_reasons"]) for e in entries] == [
        (False, list(REASONS)),
        (True, []),
    ]


def test_the_pdf_page_lists_the_reasons() -> None:
    page = report_figure(np.zeros((40, 40, 3), dtype=np.uint8), "a.dcm", [_row(REASONS)])
    texts = "\n".join(text.get_text() for text in page.texts)
    assert APPLICABILITY_TITLE in texts and all(reason in texts for reason in REASONS)
    assert APPLICABILITY_TITLE not in "\n".join(t.get_text() for t in report_figure(
        np.zeros((40, 40, 3), dtype=np.uint8), "a.png", [_row(())]).texts)  # fmt: skip


def test_a_small_image_keeps_its_pixels_and_gets_a_legible_legend() -> None:
    tiny = np.full((64, 64), 0.5)
    figure = render(
        RenderRequest(tiny, legend=LegendInfo(image_name="emri_small.dcm", applicability_reasons=REASONS))
    )
    assert (
        figure.shape[1] == MIN_LEGEND_WIDTH and figure.shape[0] < 20 * 64
    )  # not a 64-px-wide column of text
    np.testing.assert_array_equal(figure[:64, :64], np.full((64, 64, 3), 128, dtype=np.uint8))
