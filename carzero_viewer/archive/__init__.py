"""Archive-scale batch scoring outputs: the input manifest, the row table and its crash-safe writers.

Numpy/pyarrow only (no torch, no Qt): the engines that compute the rows live in
:mod:`carzero_viewer.inference.archive` (local) and :mod:`carzero_viewer.inference.ray_engine` (Ray).
"""

from carzero_viewer.archive.manifest import ManifestError, expand_inputs, read_manifest
from carzero_viewer.archive.table import (
    ArchiveError,
    ArchiveMeta,
    ErrorsFile,
    RowSink,
    WorkItem,
    open_sink,
    plan_work,
)

__all__ = [
    "ArchiveError",
    "ArchiveMeta",
    "ErrorsFile",
    "ManifestError",
    "RowSink",
    "WorkItem",
    "expand_inputs",
    "open_sink",
    "plan_work",
    "read_manifest",
]
