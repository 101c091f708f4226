"""The authors' Google Drive file through ``gdown``: thin glue, with gdown's failures mapped to advice.

Drive serves a multi-gigabyte file only after a "can't scan for viruses" confirmation page, and refuses
automated downloads for a day once a file's quota is used up ("Too many users have viewed or downloaded this
file recently"); gdown handles the first and reports the second as ``FileURLRetrievalError``, which becomes
a ``refused`` error telling the user to use a browser and ``--checkpoint-file``, or a mirror. gdown brings
resume (its own ``<name>XXXXXXXX.part`` files beside the output), retries and cancellation.
"""

from __future__ import annotations

import threading
from pathlib import Path

from carzero_viewer.errors import Cancelled
from carzero_viewer.weights_download.errors import DownloadError
from carzero_viewer.weights_download.http_transfer import DEFAULT_RETRY, ByteProgress, RetryPolicy
from carzero_viewer.weights_download.sources import drive_download_url, drive_view_url
from carzero_viewer.weights_download.space import require_free_space


def download_from_drive(
    file_id: str,
    output: Path,
    progress: ByteProgress | None = None,
    cancel: threading.Event | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> Path:
    """Download Drive file ``file_id`` to ``output`` (resuming gdown's partial file); returns ``output``.

    Raises:
        DownloadError: Drive refused (quota, sharing), the network failed, not enough free space.
        Cancelled: ``cancel`` was set; gdown's partial file is kept for a resume.
    """
    import gdown
    import requests
    from gdown.exceptions import DownloadCancelled, FileURLRetrievalError
    from gdown.exceptions import DownloadError as GdownError

    checked: list[bool] = []

    def report(done: int, total: int | None) -> None:
        if total is not None and not checked:
            checked.append(True)
            require_free_space(output.parent, total - done)
        if progress is not None:
            progress(done, total)

    view = drive_view_url(file_id)
    try:
        gdown.download(
            url=drive_download_url(file_id),
            output=str(output),
            quiet=True,
            resume=True,
            progress=report,
            retries=policy.retries,
            timeout=policy.timeout_s,
            cancel=cancel,
        )
    except FileURLRetrievalError as exc:
        raise DownloadError(
            "Google Drive refused the automated download (its daily download quota for the file is used up, "
            f"or the sharing changed); open {view} in a browser, save the file and give it as the checkpoint "
            "file (--checkpoint-file PATH; in the viewer: Mirror or file), or use a mirror (--checkpoint-url)",
            view,
            "refused",
        ) from exc
    except DownloadCancelled as exc:
        raise Cancelled("download cancelled; the partial file is kept for a resume") from exc
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "error"
        raise DownloadError(
            f"Google Drive answered HTTP {status}; try again later, or download {view} in a browser and "
            "use --checkpoint-file PATH",
            view,
            "http",
        ) from exc
    except (GdownError, requests.exceptions.RequestException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DownloadError(
            f"the Google Drive transfer failed ({first}); check the network connection and run the same "
            "command again to resume",
            view,
            "network",
        ) from exc
    return output
