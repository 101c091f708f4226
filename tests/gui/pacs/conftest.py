"""The PACS dialogs are tested against a real Orthanc (:mod:`tests.orthanc_server`)."""

from tests.orthanc_server import orthanc

__all__ = ["orthanc"]
