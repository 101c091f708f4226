"""``carzero-viewer send FILE... --to AET@HOST:PORT [--calling-aet AET]``: store DICOM files in a PACS.

C-ECHO first, so an unreachable PACS, a wrong port or a title the PACS does not know is reported in one line
before any file is read; then one association stores every file (C-STORE) and prints a line per file,
``stored``/``FAILED`` with the reason. The exit code is 0 only when every file was stored: a PACS that
silently lost one of a study's objects would otherwise go unnoticed in a script. Folders are sent file by
file (every regular file under them, in name order), so an ``export --out DIR`` folder can be sent as is.
Timeouts are bounded (:class:`carzero_viewer.pacs.dimse.Timeouts`); the file names are printed, never any
patient identity from their contents.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carzero_viewer.pacs.node import DEFAULT_CALLING_AET

# More files than this in one run is a folder given by mistake (a whole disk), not a set of results.
MAX_FILES = 10_000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "send",
        help="store DICOM files in a PACS (C-ECHO, then C-STORE)",
        description="Store DICOM files (e.g. the output of export --format dcm) in a PACS: C-ECHO first, then "
        "C-STORE of each file with its result; exit code 1 when any file was not stored.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="DICOM files or folders of them")
    parser.add_argument("--to", required=True, metavar="AET@HOST:PORT", help="the PACS (called AE title)")
    parser.add_argument(
        "--calling-aet",
        default=DEFAULT_CALLING_AET,
        metavar="AET",
        help=f"this application's AE title, as registered on the PACS (default: {DEFAULT_CALLING_AET})",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="seconds to wait for each C-STORE answer"
    )


def _files(paths: list[Path]) -> list[Path]:
    from carzero_viewer.pacs.errors import PacsError

    found: list[Path] = []
    for path in paths:
        found.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
        if len(found) > MAX_FILES:
            raise PacsError(f"more than {MAX_FILES} files to send; name the folders of one study", path)
    return found


def run(args: argparse.Namespace) -> int:
    from carzero_viewer.pacs.dimse import Timeouts, echo, store
    from carzero_viewer.pacs.errors import PacsError
    from carzero_viewer.pacs.node import parse_node

    if not 0 < args.timeout <= 3600:
        raise PacsError(f"--timeout {args.timeout:g} is outside (0, 3600] seconds")
    node = parse_node(args.to)
    timeouts = Timeouts(dimse=args.timeout)
    files = _files(args.files)
    echo(node, args.calling_aet, timeouts)
    print(f"{node}: C-ECHO ok")
    results = store(
        node,
        files,
        args.calling_aet,
        timeouts,
        on_result=lambda _, result: print(
            f"{result.path}: {'stored' if result.ok else 'FAILED'}: {result.detail}"
        ),
    )
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} of {len(results)} file(s) stored in {node}")
    return 1 if failed else 0
