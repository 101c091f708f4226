"""Grounding and classification metrics: pointing game, IoU, CNR and AUROC.

Numpy only (no torch, no Qt). Metrics take heatmaps already mapped back to original-image pixels (NaN where
the model saw nothing) and boxes in the same frame, so every number is computed on the geometry the user
sees.
"""
