"""Synchronous, Qt-free CARZero inference: caches, exact shortcuts, results as numpy arrays and dataclasses.

Torch stays inside this package and :mod:`carzero_viewer.model`; everything returned is plain data.
"""
