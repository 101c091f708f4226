"""``export --format sr,dcm-map``: one DICOM image's Structured Report and map Segmentations.

The source is read and validated once per image (:func:`~carzero_viewer.export.dicom_study.source_study`)
and shared by its objects. Each prompt's map Segmentation is written as soon as the prompt is scored; the
Structured Report, which holds every prompt of the image, is written after the last one. With
``--calibration``, a prompt the profile calibrates gets its probability and operating-point call in the
report, the same values ``score --calibration`` prints (the prompt as typed is the calibrated name and its
only phrasing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from carzero_viewer.commands.score_calibration import ScoreCalibration
    from carzero_viewer.export.dicom_source import SourceNote
    from carzero_viewer.export.dicom_sr import ReportedPrompt
    from carzero_viewer.export.dicom_study import SourceStudy
    from carzero_viewer.export.heatmap_style import HeatmapStyle
    from carzero_viewer.export.reports import ReportRow
    from carzero_viewer.metrics import BoxLike


@dataclass
class ImageObjects:
    """The SR and map objects of one DICOM image.

    Attributes:
        path: the source DICOM file.
        calibration: ``--calibration`` (no profile: no calibrated values).
        force: overwrite existing files.
        prompts: the prompts reported so far, in order.
    """

    path: Path
    calibration: ScoreCalibration
    force: bool
    prompts: list[ReportedPrompt] = field(default_factory=list)
    _source: SourceStudy | None = None

    def source(self) -> SourceStudy:
        """The validated source, read on first use (raises ``DicomExportError`` every time it cannot be)."""
        from carzero_viewer.export.dicom_study import source_study

        if self._source is None:
            self._source = source_study(self.path)
        return self._source

    def notes(self) -> tuple[SourceNote, ...]:
        """The source attributes fixed or dropped (empty until the source was read)."""
        return self._source.notes if self._source is not None else ()

    def add(self, row: ReportRow, boxes: Sequence[BoxLike]) -> None:
        """Collect one prompt's row and the ground-truth boxes its metrics were computed against."""
        from carzero_viewer.export.dicom_sr import Calibrated, ReportedPrompt

        values = self.calibration.values(row.typed_prompt, row.score, (row.typed_prompt,))
        calibrated = None
        if values.get("probability") is not None:
            calibrated = Calibrated(
                values["probability"], bool(values["above_operating_point"]), self.calibration.point
            )
        self.prompts.append(ReportedPrompt(row, tuple(boxes) if row.metrics else (), calibrated))

    def write_map(
        self, target: Path, row: ReportRow, values: npt.NDArray[np.float32], style: HeatmapStyle
    ) -> Path:
        """Write the Segmentation of one prompt map (``values`` in source pixels, NaN = no data)."""
        from carzero_viewer.export.dicom_map import MapSource, segmentation, segmentation_bytes
        from carzero_viewer.files import write_bytes_atomic

        shown = MapSource(values, row.typed_prompt, row.processed_prompt, row.score, row.provenance)
        data = segmentation_bytes(segmentation(self.source(), shown, style))
        return write_bytes_atomic(target, data, self.force)

    def write_report(self, target: Path) -> Path:
        """Write the Structured Report of every prompt added."""
        from carzero_viewer.export.dicom_sr import report_bytes, structured_report
        from carzero_viewer.files import write_bytes_atomic

        return write_bytes_atomic(
            target, report_bytes(structured_report(self.source(), self.prompts)), self.force
        )
