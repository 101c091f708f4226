"""PACS networking, Qt-free and torch-free: DIMSE (C-ECHO, C-STORE with pynetdicom) and DICOMweb retrieval
(QIDO-RS and WADO-RS with dicomweb-client) into an owner-only cache.

The rest of the application reaches this package in two places only: :mod:`carzero_viewer.imaging.source`
turns a ``dicomweb+http(s)://`` URL into local files (so every command and the viewer open it like a folder of
files), and the ``send`` command and the viewer's PACS dialogs call :mod:`~carzero_viewer.pacs.dimse` and
:mod:`~carzero_viewer.pacs.dicomweb`. Every network call has a bounded timeout, and every failure is a
:class:`~carzero_viewer.pacs.errors.PacsError` of one line. Patient identity is never logged: it is returned
to the caller (the Open-from-PACS list shows it on screen) and written only into the cached DICOM files.
"""

from carzero_viewer.pacs.errors import PacsError
from carzero_viewer.pacs.node import DEFAULT_CALLING_AET, PacsNode, parse_node

__all__ = ["DEFAULT_CALLING_AET", "PacsError", "PacsNode", "parse_node"]
