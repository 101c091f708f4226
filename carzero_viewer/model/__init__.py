"""Pure-torch CARZero (CVPR 2024) re-implemented from the specification in ``docs``.

Importing this package does not import torch: torch-bound modules (:mod:`.network`, :mod:`.checkpoint`...)
are imported where they are needed, so that the numpy-only :mod:`.preprocessing` can serve the imaging layer
and the window can appear before torch has loaded.
"""
