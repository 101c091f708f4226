"""Fetching the released CARZero weights: the BERT folder from Hugging Face, the checkpoint from Google Drive,
a mirror URL or a local file, laid out where the weights lookup finds them.

Qt-free and torch-free: the structural check of the finished file is handed in by the caller (the ``weights``
command and the viewer's dialog pass the model loader), so a download never waits for torch to import and the
package can run in the viewer's worker thread.
"""
