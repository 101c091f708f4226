"""The desktop user interface: the only package that imports PySide6, pyqtgraph and superqt.

Widgets display plain data (numpy arrays and the frozen dataclasses of :mod:`carzero_viewer.types`) and hand
inference requests to a single bridge module that owns the background thread; nothing outside this package
(except the CLI's ``gui`` command) may import Qt, which import-linter enforces in CI.
"""
