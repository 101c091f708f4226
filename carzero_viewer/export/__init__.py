"""Headless export: a renderer (image + heatmap + boxes + legend), CSV/JSON reports and DICOM output.

Numpy only (no torch, no Qt), so the same figures can be produced by the batch CLI on a machine without a
display and by the viewer's export action.
"""
