"""Ground-truth box readers: NIH CSV, ChestX-Det10 JSON, COCO, MS-CXR CSV and plain CSV.

Numpy only (no torch, no Qt): readers turn annotation files into the frozen box dataclasses of
:mod:`carzero_viewer.types`, in original-image pixel coordinates, so that metrics and the exporter can
compare them with heatmaps without knowing where they came from.
"""
