"""DICOM output: one image's results as a Structured Report (TID 1500 Measurement Report), with highdicom.

A PACS viewer (OHIF, Weasis) lists and renders an SR beside the images; unlike the burned-in Secondary
Capture its values can be queried. One Comprehensive SR per image (SCOORD regions need Comprehensive, not
Enhanced, SR; nothing here is 3D) holds, per prompt or finding:

- a TID 1501 measurement group whose Tracking Identifier is the typed prompt, holding the official raw score
  (private code ``raw-score``; a logit, not a probability), the calibrated probability and an "above the
  operating point" Yes/No evaluation when a calibration profile applies, the grounding metrics when
  ground-truth boxes exist (each metric against the union of the prompt's boxes; a metric that is not
  finite, e.g. a CNR without contrast, is left out rather than written as a number), and TEXT items with the
  typed and processed prompt, the model status and the applicability warning;
- one TID 1410 planar ROI group per ground-truth box: the box as a closed POLYLINE in image pixel coordinates
  (SCOORD: column, row with 0,0 at the top-left corner of the top-left pixel, the frame the metrics use),
  selected from the source image.

Every measurement carries its Algorithm Identification (TID 4019): name CARZero, version = the weights'
SHA-256, parameters = model id, model status, application name and version, prompt template. Untrained
weights are stated in three places a reader cannot miss: an ``UNTRAINED`` algorithm parameter, the model
status TEXT of every group, and the Series Description.

The observer is the device (the application), not a person; the report is complete but neither final nor
verified (no one has read it). Codes that DICOM does not define (the score, the metrics) are in the private
scheme ``99CARZERO``, declared in the Coding Scheme Identification Sequence. The patient and study modules
are those of the Secondary Capture (:mod:`carzero_viewer.export.dicom_study`), in a new series of the source's
study; the source image is referenced from the evidence sequence and every box region.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from carzero_viewer import APP_NAME
from carzero_viewer.export.dicom_sc import NOT_FOR_DIAGNOSTIC_USE, SERIES_DESCRIPTION_BYTES, clip_text
from carzero_viewer.export.dicom_study import (
    UCUM_NO_UNIT,
    SourceStudy,
    declare_private_scheme,
    encoded,
    library_errors,
    private_code,
    quiet_library,
)
from carzero_viewer.export.reports import ReportRow
from carzero_viewer.metrics import BoxLike

SR_SERIES_OFFSET = 2000
UNTRAINED = "UNTRAINED"
UNTRAINED_TEXT = "UNTRAINED weights (random initialisation): scores and maps are meaningless"

RAW_SCORE = private_code("raw-score", "CARZero official zero-shot score (raw logit, not a probability)")
PROBABILITY = private_code("probability", "Calibrated probability")
TYPED_PROMPT = private_code("typed-prompt", "Prompt as typed")
PROCESSED_PROMPT = private_code("processed-prompt", "Prompt as scored (template applied)")
MODEL_STATUS = private_code("model-status", "Model status")
APPLICABILITY = private_code("applicability", "Image outside what the model was trained on")
PROCEDURE = private_code("zero-shot-scoring", "Zero-shot image-text scoring of a radiograph")
METRIC_CODES = {
    "pointing_game": private_code("pointing-game", "Pointing game hit (1) or miss (0)"),
    "energy_in_box": private_code("energy-in-box", "Fraction of map energy inside the boxes"),
    "cnr": private_code("cnr", "Contrast-to-noise ratio of the map, boxes vs outside"),
    "miou": private_code("miou", "Mean IoU of the thresholded map with the boxes"),
    "pixel_auroc": private_code("pixel-auroc", "Pixel AUROC of the map for the boxes"),
}


def above_point_code(point: str) -> Code:
    """The concept of the operating-point evaluation; its meaning names the point (``youden``...)."""
    return private_code("above-operating-point", f"Above operating point {point}")


@dataclass(frozen=True)
class Calibrated:
    """A calibrated reading of one raw score (see :mod:`carzero_viewer.calibration`)."""

    probability: float
    above_operating_point: bool
    operating_point: str


@dataclass(frozen=True)
class ReportedPrompt:
    """One prompt's results for the report.

    Attributes:
        row: the report row (prompt texts, score, grounding metrics, provenance, applicability).
        boxes: the ground-truth boxes the metrics were computed against, in source image pixels.
        calibration: the calibrated reading when a profile calibrates this prompt, else None.
    """

    row: ReportRow
    boxes: tuple[BoxLike, ...] = ()
    calibration: Calibrated | None = None


def structured_report(
    source: SourceStudy, prompts: Sequence[ReportedPrompt], now: _dt.datetime | None = None
) -> hd.sr.ComprehensiveSR:
    """The TID 1500 report of one image's prompts (at least one) in a new series of the source's study.

    Args:
        source: the validated source image (:func:`~carzero_viewer.export.dicom_study.source_study`).
        prompts: the image's prompts, in order; all share one provenance (one model run).
        now: content date and time (tests); default: the current local time.
    """
    if not prompts:
        raise ValueError("a report needs at least one prompt")
    with quiet_library(), library_errors("Structured Report"):
        sr = _build(source, prompts, now or _dt.datetime.now())
    declare_private_scheme(sr)
    return sr


def _build(
    source: SourceStudy, prompts: Sequence[ReportedPrompt], stamp: _dt.datetime
) -> hd.sr.ComprehensiveSR:
    provenance = prompts[0].row.provenance
    untrained = provenance.is_untrained
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            # the same weights and application version are the same device, in every report
            uid=generate_uid(entropy_srcs=[provenance.weights_checksum, provenance.app_version]),
            name="CARZero",
            manufacturer_name=APP_NAME,
            model_name=provenance.model_id,
        ),
    )
    groups: list[
        hd.sr.MeasurementsAndQualitativeEvaluations | hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations
    ] = []
    for prompt in prompts:
        groups.append(_prompt_group(prompt, _algorithm(prompt.row)))
        groups.extend(_box_groups(source, prompt))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=PROCEDURE,
        imaging_measurements=groups,
    )
    description = f"{APP_NAME} results{' ' + UNTRAINED if untrained else ''} (not for diagnostic use)"
    return hd.sr.ComprehensiveSR(
        evidence=[source.dataset],
        content=report,
        series_instance_uid=hd.UID(),
        series_number=source.series_number(SR_SERIES_OFFSET),
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=APP_NAME,
        is_complete=True,
        series_description=clip_text(description, SERIES_DESCRIPTION_BYTES),
        content_date=stamp.date(),
        content_time=stamp.time().replace(microsecond=0),
    )


def _algorithm(row: ReportRow) -> hd.sr.AlgorithmIdentification:
    p = row.provenance
    parameters = [f"model {p.model_id}", f"model status {p.model_status}", f"{APP_NAME} {p.app_version}"]
    parameters.append(f"template {p.template}" if p.template is not None else "raw prompt (no template)")
    if p.is_untrained:
        parameters.insert(0, UNTRAINED)
    return hd.sr.AlgorithmIdentification(name="CARZero", version=p.weights_checksum, parameters=parameters)


def _prompt_group(
    prompt: ReportedPrompt, algorithm: hd.sr.AlgorithmIdentification
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    row = prompt.row

    def measurement(name: Code, value: float) -> hd.sr.Measurement:
        return hd.sr.Measurement(name=name, value=value, unit=UCUM_NO_UNIT, algorithm_id=algorithm)

    measurements = [measurement(RAW_SCORE, row.score)]
    evaluations = []
    if prompt.calibration is not None:
        measurements.append(measurement(PROBABILITY, prompt.calibration.probability))
        answer = codes.SCT.Yes if prompt.calibration.above_operating_point else codes.SCT.No
        evaluations.append(
            hd.sr.QualitativeEvaluation(above_point_code(prompt.calibration.operating_point), answer)
        )
    measurements += [
        measurement(METRIC_CODES[name], value)
        for name, value in row.metrics.items()
        if name in METRIC_CODES and math.isfinite(value)
    ]
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=row.typed_prompt),
        measurements=measurements,
        qualitative_evaluations=evaluations or None,
    )
    status = UNTRAINED_TEXT if row.provenance.is_untrained else row.provenance.model_status
    texts = [
        (TYPED_PROMPT, row.typed_prompt),
        (PROCESSED_PROMPT, row.processed_prompt),
        (MODEL_STATUS, status),
    ]
    if row.applicability_reasons:
        texts.append((APPLICABILITY, "; ".join(row.applicability_reasons)))
    texts.append((private_code("disclaimer", "Disclaimer"), NOT_FOR_DIAGNOSTIC_USE))
    for name, value in texts:
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(name=name, value=value, relationship_type="CONTAINS")
        )
    return group


def _box_groups(
    source: SourceStudy, prompt: ReportedPrompt
) -> list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations]:
    """One planar ROI group per ground-truth box of the prompt (the regions the metrics were computed in)."""
    reference = hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=source.dataset.SOPClassUID,
        referenced_sop_instance_uid=source.dataset.SOPInstanceUID,
    )
    groups = []
    count = len(prompt.boxes)
    for number, box in enumerate(prompt.boxes, 1):
        corners = [[box.x1, box.y1], [box.x2, box.y1], [box.x2, box.y2], [box.x1, box.y2], [box.x1, box.y1]]
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=np.asarray(corners, dtype=np.float64),
            source_image=reference,
        )
        label = f"ground-truth box {number} of {count} for: {prompt.row.typed_prompt}"
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=label),
                referenced_region=region,
            )
        )
    return groups


def report_bytes(sr: Dataset) -> bytes:
    """The validated encoding of ``sr``, read back with highdicom's SR reader before it is returned."""
    return encoded(sr, "Structured Report", hd.sr.srread)
