"""carzero_viewer: a desktop viewer for the CARZero chest X-ray vision-language model.

This module holds only the name and version so that importing the package never pulls in torch or Qt
(the window must be able to appear before torch has loaded).
"""

__version__ = "0.1.0"
APP_NAME = "CARZero Viewer"
APP_ID = "carzero-viewer"
