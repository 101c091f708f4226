"""DICOM output: a prompt map as a Segmentation that PACS viewers overlay on the source and can switch off.

Decision: a BINARY Segmentation (highdicom.seg) of the thresholded map, cut into coloured bands; no
parametric map and no presentation state.

- **Float parametric map: not possible here.** The Parametric Map IOD makes the Frame of Reference module
  mandatory (PS3.3 A.75), and a projection radiograph (CR, DX, or a Secondary Capture) has no frame of
  reference: it is not registered to patient space. Inventing one would claim a geometry that does not
  exist. highdicom 0.28 agrees: building a ``ParametricMap`` from a CR image without plane positions fails
  (``RuntimeError``: the dimension index values of the per-frame functional groups do not match), because
  its map is organised by plane position. OHIF's parametric-map support (OHIF #4105, PR #4284,
  ``cornerstone-dicom-pmap``) loads maps as volumes over the source's frame of reference for the same reason.
- **Segmentation: the overlay both viewers list and toggle.** The Segmentation IOD needs a frame of
  reference only when the source has one (Frame of Reference module "C"); for a radiograph highdicom
  references the source image through the per-frame Derivation Image / Source Image sequences and the
  top-level Referenced Series Sequence, both of which OHIF needs to attach a SEG to its image (OHIF #3936,
  #4030). OHIF draws DICOM SEG as a labelmap overlay (``cornerstone-dicom-seg``) with per-segment visibility
  and opacity; Weasis lists a SEG under its source and draws it over the image with per-segment visibility
  (weasis.org, "AI DICOM objects"). Not checked here: no viewer runs in this environment, and SEG of
  projection images is a less travelled path in viewers and converters (highdicom #159, dcmqi #319), so the
  first real viewer test belongs in the release check.
- **Pseudo-colour presentation state: left out.** A Pseudo-Color Softcopy Presentation State applies a
  palette to the referenced image's own grey levels: it would colour the radiograph, not a separate map, so
  it cannot show the heatmap. OHIF does not render presentation states yet (OHIF #4106, open), so a PR would
  add nothing there either. The colours travel in the segments instead (Recommended Display CIELab Value).

The map is the one the figures show (original pixels, NaN outside the model's field of view, normalised by
:func:`~carzero_viewer.export.heatmap_style.normalise` with the export's style). Pixels at or above the
style's threshold fall into :data:`BANDS` equal bands between the threshold and 1 (the top of the normalised
range: the map's maximum with the default min-max normalisation); band ``k`` is segment ``k``
(non-overlapping, so a viewer's stacking order does not matter), labelled with its range of the normalised
map and coloured with the colormap at the band's centre. No-data pixels belong to no segment.
A binary segmentation stores one bit per pixel and band, so the object stays small (a 3000 x 3000 radiograph:
4 bands x 1.1 MB).

Each segment's Algorithm Identification names CARZero with the weights' SHA-256 as version and the prompt,
score and model status (``UNTRAINED`` when it applies) as parameters; the Series Description and Content
Description repeat UNTRAINED. Patient and study modules are those of the Secondary Capture
(:mod:`carzero_viewer.export.dicom_study`); the object is a new series in the source's study.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import highdicom as hd
import numpy as np
import numpy.typing as npt
from pydicom.sr.codedict import codes

from carzero_viewer import APP_NAME, __version__
from carzero_viewer.export.dicom_sc import SERIES_DESCRIPTION_BYTES, DicomExportError, clip_text
from carzero_viewer.export.dicom_study import (
    SourceStudy,
    encoded,
    library_errors,
    private_code,
    quiet_library,
)
from carzero_viewer.export.heatmap_style import HeatmapStyle, colormap_table, normalise
from carzero_viewer.export.reports import Provenance

MAP_SERIES_OFFSET = 3000
BANDS = 4
LO_BYTES = 64
CONTENT_LABEL = "CARZERO_MAP"  # CS, 16 characters at most
CATEGORY = private_code("model-attention", "Model attention (not a finding)")
PROPERTY = private_code("attention-band", "Band of a vision-language prompt map")


@dataclass(frozen=True)
class MapSource:
    """What one segmentation shows.

    Attributes:
        values: ``(H, W)`` prompt map in source image pixels (raw attention, NaN = no data).
        typed_prompt: the prompt as typed.
        processed_prompt: the prompt as scored.
        score: the official raw score of the prompt.
        provenance: the run's model and version.
    """

    values: npt.NDArray[np.floating]
    typed_prompt: str
    processed_prompt: str
    score: float
    provenance: Provenance


def band_labels(values: npt.NDArray[np.floating], style: HeatmapStyle) -> npt.NDArray[np.uint8]:
    """``(H, W)`` band number per pixel: 0 = below the threshold or no data, ``1..BANDS`` = equal bands of the
    normalised map from the style's threshold up to 1 (1 itself in the top band)."""
    level = normalise(values, style)
    finite = np.isfinite(level)
    low = style.threshold
    labels = np.zeros(level.shape, dtype=np.uint8)
    if low >= 1.0:
        labels[finite & (level >= 1.0)] = BANDS
        return labels
    scaled = np.where(finite, (level - low) / (1.0 - low), -1.0)
    band = np.minimum(np.floor(scaled * BANDS).astype(np.int64) + 1, BANDS)
    labels[finite & (level >= low)] = band[finite & (level >= low)]
    return labels


def band_range(number: int, style: HeatmapStyle) -> tuple[float, float]:
    """The normalised range ``[low, high)`` of band ``number`` (1-based)."""
    width = (1.0 - style.threshold) / BANDS
    return style.threshold + (number - 1) * width, style.threshold + number * width


def segmentation(
    source: SourceStudy, shown: MapSource, style: HeatmapStyle, now: _dt.datetime | None = None
) -> hd.seg.Segmentation:
    """The banded segmentation of ``shown.values`` over the source image, in a new series of its study.

    Raises:
        ValueError: the map's shape is not the source image's.
        DicomExportError: the source is multi-frame (the map is of one frame, and a segmentation of one frame
            of a multi-frame image is not what a viewer would show over it), or highdicom cannot place a
            segmentation on it (a frame of reference without a valid plane geometry).
    """
    if int(source.dataset.NumberOfFrames) != 1:
        raise DicomExportError("the source is multi-frame: a map object is written for single-frame images")
    if shown.values.shape != source.shape:
        raise ValueError(f"map {shown.values.shape} does not match the source image {source.shape}")
    provenance = shown.provenance
    untrained = provenance.is_untrained
    status = "UNTRAINED" if untrained else provenance.model_status
    algorithm = hd.AlgorithmIdentificationSequence(
        name="CARZero",
        family=codes.cid7162.ArtificialIntelligence,
        version=provenance.weights_checksum[:LO_BYTES],
        source=APP_NAME,
        parameters={
            "prompt": shown.processed_prompt,
            "score": f"{shown.score:.6g} (official raw score, not a probability)",
            "model": f"{provenance.model_id} ({status})",
            "normalisation": style.normalisation,
            "threshold": f"{style.threshold:g}",
        },
    )
    table = colormap_table(style.colormap)
    descriptions = []
    for number in range(1, BANDS + 1):
        low, high = band_range(number, style)
        red, green, blue = table[round((low + high) / 2 * (len(table) - 1)), :3]
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=clip_text(f"{low:.2f}-{high:.2f} {shown.typed_prompt}", LO_BYTES),
                segmented_property_category=CATEGORY,
                segmented_property_type=PROPERTY,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                algorithm_identification=algorithm,
                display_color=hd.color.CIELabColor.from_rgb(int(red), int(green), int(blue)),
            )
        )
    untrained_note = " UNTRAINED" if untrained else ""
    stamp = now or _dt.datetime.now()
    with quiet_library(), library_errors("Segmentation"):
        seg = hd.seg.Segmentation(
            source_images=[source.dataset],
            pixel_array=band_labels(shown.values, style)[np.newaxis],
            segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions,
            series_instance_uid=hd.UID(),
            series_number=source.series_number(MAP_SERIES_OFFSET),
            sop_instance_uid=hd.UID(),
            instance_number=1,
            manufacturer=APP_NAME,
            manufacturer_model_name=APP_NAME,
            software_versions=__version__,
            device_serial_number="none",
            content_label=CONTENT_LABEL,
            content_description=clip_text(
                f"CARZero prompt map{untrained_note}, not for diagnostic use", LO_BYTES
            ),
            omit_empty_frames=False,
            series_description=clip_text(
                f"{APP_NAME} map{untrained_note}: {shown.typed_prompt}", SERIES_DESCRIPTION_BYTES
            ),
            content_date=stamp.date(),
            content_time=stamp.time().replace(microsecond=0),
        )
    seg.PatientOrientation = source.patient_orientation()
    return seg


def segmentation_bytes(seg: hd.seg.Segmentation) -> bytes:
    """The validated encoding of ``seg``, read back with highdicom's segmentation reader first."""
    return encoded(seg, "Segmentation", hd.seg.segread)
