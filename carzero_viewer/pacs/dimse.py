"""C-ECHO and C-STORE to a PACS with pynetdicom, with bounded timeouts and one-line failures.

Every association starts with a plain TCP connection attempt (``connect`` seconds): pynetdicom reports a
refused or unreachable port only as an aborted association, while a user needs to read "connection refused"
(wrong port, PACS not running) apart from "association rejected: Called AE title not recognised" (wrong called
AET) or "Calling AE title not recognised" (this application is not registered on the PACS). The association
request then waits at most ``acse`` seconds for an answer and each C-ECHO/C-STORE at most ``dimse`` seconds, so
a PACS that accepts connections and never answers ends in a timeout, never a hang.

Files are sent as they are on disk (pynetdicom streams the encoded data set after reading its file meta
information), so what the PACS stores is byte for byte what was exported. The presentation contexts proposed
are, per SOP class present, one for each of the files' compressed transfer syntaxes and one for the two
uncompressed ones. A file that cannot
be sent (not a DICOM Part 10 file, no accepted context, a failure status) is reported and the others are still
sent; :func:`store` returns one :class:`StoreResult` per file in order.

pynetdicom's logging of request and response identifiers is switched off: a C-FIND identifier or a status
data set may hold patient identity, and library log records end in the application's log file.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carzero_viewer.pacs.errors import PacsError
from carzero_viewer.pacs.node import DEFAULT_CALLING_AET, PacsNode, check_aet

# pynetdicom accepts at most 128 presentation contexts in one association request (PS3.8 9.3.2.2: odd
# context IDs 1-255).
MAX_CONTEXTS = 128
_UNCOMPRESSED = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")  # explicit, implicit VR little endian
_VERIFICATION = "1.2.840.10008.1.1"
# Status codes a C-STORE response may carry that still mean "stored" (PS3.4 Annex B.2.3: coercion of data
# elements, elements discarded, data set does not match the SOP class).
_WARNINGS = frozenset({0xB000, 0xB006, 0xB007})


@dataclass(frozen=True)
class Timeouts:
    """Upper bounds, in seconds, of each network step (a slow or silent PACS ends in a one-line error).

    Attributes:
        connect: TCP connection.
        acse: answer to the association request (and to its release).
        dimse: answer to one C-ECHO or C-STORE request (a large image on a slow link needs more).
    """

    connect: float = 5.0
    acse: float = 10.0
    dimse: float = 60.0


@dataclass(frozen=True)
class StoreResult:
    """What happened to one file.

    Attributes:
        path: the file.
        ok: the PACS confirmed storage (a warning status counts as stored; ``detail`` then says which).
        detail: ``"stored"``, ``"stored with warning 0xB007"`` or the reason it was not stored.
    """

    path: Path
    ok: bool
    detail: str


def _quiet_pynetdicom() -> None:
    from pynetdicom import _config

    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False


def _check_reachable(node: PacsNode, timeout: float) -> None:
    """A TCP connection to the node, closed at once, or the one-line reason there is none."""
    try:
        with socket.create_connection((node.host, node.port), timeout=timeout):
            pass
    except ConnectionRefusedError:
        raise PacsError(f"{node}: connection refused (nothing listens on port {node.port})") from None
    except TimeoutError:
        raise PacsError(f"{node}: no connection within {timeout:g} s") from None
    except socket.gaierror:
        raise PacsError(f"{node}: unknown host {node.host!r}") from None
    except OSError as exc:
        raise PacsError(f"{node}: cannot connect ({exc.strerror or exc})") from None


@contextlib.contextmanager
def _association(
    node: PacsNode, calling_aet: str, contexts: Sequence[tuple[str, Sequence[str]]], timeouts: Timeouts
) -> Iterator[Any]:
    """An established association, released (or aborted) on exit; :class:`PacsError` when there is none."""
    from pynetdicom import AE

    _quiet_pynetdicom()
    calling = check_aet(calling_aet, "calling AE title")
    _check_reachable(node, timeouts.connect)
    ae = AE(ae_title=calling)
    ae.connection_timeout = timeouts.connect
    ae.acse_timeout = timeouts.acse
    ae.dimse_timeout = timeouts.dimse
    ae.network_timeout = timeouts.dimse
    for abstract, syntaxes in contexts:
        ae.add_requested_context(abstract, list(syntaxes))
    try:
        assoc = ae.associate(node.host, node.port, ae_title=node.aet)
        if assoc.is_rejected:
            answer = assoc.acceptor.primitive
            reason = answer.reason_str if answer is not None else "no reason given"
            raise PacsError(f"{node}: association rejected as {calling}: {reason}")
        if not assoc.is_established:
            raise PacsError(
                f"{node}: association aborted (no answer within {timeouts.acse:g} s, or not a DICOM node)"
            )
        try:
            yield assoc
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()


def echo(node: PacsNode, calling_aet: str = DEFAULT_CALLING_AET, timeouts: Timeouts = Timeouts()) -> None:
    """C-ECHO ``node``; returns when it answered with success, raises :class:`PacsError` otherwise."""
    with _association(node, calling_aet, [(_VERIFICATION, _UNCOMPRESSED)], timeouts) as assoc:
        status = assoc.send_c_echo()
        code = getattr(status, "Status", None)
    if code is None:
        raise PacsError(f"{node}: no C-ECHO response within {timeouts.dimse:g} s")
    if code != 0:
        raise PacsError(f"{node}: C-ECHO failed with status 0x{code:04X}")


@dataclass(frozen=True)
class _Header:
    sop_class: str
    transfer_syntax: str


def _header(path: Path) -> _Header | str:
    """The SOP class and transfer syntax of a Part 10 file, or why it cannot be sent."""
    from pydicom.filereader import read_file_meta_info

    if not path.is_file():
        return "not a regular file" if path.exists() else "file does not exist"
    try:
        meta = read_file_meta_info(path)
    except Exception:  # any parse failure of a foreign file means "not DICOM Part 10"
        return "not a DICOM Part 10 file (no file meta information)"
    sop_class = str(meta.get("MediaStorageSOPClassUID", ""))
    syntax = str(meta.get("TransferSyntaxUID", ""))
    if not sop_class or not syntax:
        return "file meta information lacks the SOP class or transfer syntax"
    return _Header(sop_class, syntax)


def _contexts(headers: Sequence[_Header]) -> list[tuple[str, list[str]]]:
    """One context per SOP class and file transfer syntax, plus one uncompressed context per SOP class.

    A context proposing several transfer syntaxes is accepted with only one of them (the acceptor's choice,
    usually uncompressed), so a compressed file needs a context of its own syntax to be sent as it is.
    """
    contexts: dict[tuple[str, tuple[str, ...]], None] = {}
    for header in headers:
        contexts[(header.sop_class, _UNCOMPRESSED)] = None
        if header.transfer_syntax not in _UNCOMPRESSED:
            contexts[(header.sop_class, (header.transfer_syntax,))] = None
    if len(contexts) > MAX_CONTEXTS:
        raise PacsError(
            f"{len(contexts)} SOP class/transfer syntax pairs in one send; at most {MAX_CONTEXTS} fit an association"
        )
    return [(sop_class, list(syntaxes)) for sop_class, syntaxes in contexts]


def _store_one(assoc: Any, path: Path, timeouts: Timeouts) -> StoreResult:
    if not assoc.is_established:
        return StoreResult(path, False, "not sent: the association was aborted")
    try:
        status = assoc.send_c_store(path)
    except ValueError:  # pynetdicom: no accepted presentation context for this SOP class/transfer syntax
        return StoreResult(path, False, "the PACS does not accept this SOP class in this transfer syntax")
    code = getattr(status, "Status", None)
    if code is None:
        return StoreResult(path, False, f"no C-STORE response within {timeouts.dimse:g} s")
    if code == 0:
        return StoreResult(path, True, "stored")
    if code in _WARNINGS:
        return StoreResult(path, True, f"stored with warning 0x{code:04X}")
    return StoreResult(path, False, f"refused with status 0x{code:04X}")


def store(
    node: PacsNode,
    files: Sequence[Path],
    calling_aet: str = DEFAULT_CALLING_AET,
    timeouts: Timeouts = Timeouts(),
    on_result: Callable[[int, StoreResult], None] | None = None,
) -> list[StoreResult]:
    """C-STORE each file on one association; ``on_result(index, result)`` is called after each file.

    Raises:
        PacsError: no association (refused connection, rejected, timeout); per-file failures are results.
    """
    report = on_result or (lambda index, result: None)
    results: dict[int, StoreResult] = {}
    headers: dict[int, _Header] = {}
    for index, path in enumerate(files):
        header = _header(path)
        if isinstance(header, str):
            results[index] = StoreResult(path, False, header)
            report(index, results[index])
        else:
            headers[index] = header
    contexts = _contexts(list(headers.values()))
    if contexts:
        with _association(node, calling_aet, contexts, timeouts) as assoc:
            for index in headers:
                results[index] = _store_one(assoc, files[index], timeouts)
                report(index, results[index])
    return [results[index] for index in range(len(files))]
