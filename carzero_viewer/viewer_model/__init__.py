"""The viewer's state without Qt, of which the window and panels are views.

Numpy only: no Qt, no torch (enforced by import-linter), so the CLI and the headless tests drive it directly.
"""
