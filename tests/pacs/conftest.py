"""The PACS tests run against a real Orthanc (:mod:`tests.orthanc_server`) and call ``cli.main`` in-process."""

from tests.orthanc_server import orthanc
from tests.unit.cli.conftest import restore_root_logger

__all__ = ["orthanc", "restore_root_logger"]
