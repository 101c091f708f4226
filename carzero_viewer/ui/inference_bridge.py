"""The single bridge between the widgets and the model: one QThread, one worker that owns the engine.

Why a bridge: widgets must never block on torch, and results of an old request (the user switched image or
edited the prompts meanwhile) must never overwrite newer ones. The design follows napari's layer slicer:

* :class:`InferenceBridge` lives in the GUI thread. :meth:`InferenceBridge.submit` gives each request a new,
  increasing id and a fresh :class:`~carzero_viewer.inference.cancel.CancelToken`, and cancels the token of
  the previous request (the engine checks it between stages, so old work stops early).
* :class:`InferenceWorker` lives in the worker thread and is driven only through queued signals, so requests
  run one at a time in submission order. It loads the model first (torch is imported there, lazily, so the
  window appears before torch has loaded) and reports back through signals.
* Worker signals are connected to *methods* of the bridge (a GUI-thread QObject), never to lambdas, so Qt
  delivers them in the GUI thread. The bridge drops results whose id is not the latest one and re-emits the
  rest as :attr:`InferenceBridge.results_ready` / :attr:`InferenceBridge.request_failed`.
* "Latest" is per :class:`RequestChannel`: a view that scores a second image (compare images) asks
  :meth:`InferenceBridge.channel` for its own channel, so its requests neither cancel nor are cancelled by
  the main window's, which use the bridge's own methods (the default channel). Ids are unique across
  channels, so a result finds its channel by id; the one worker still runs every request in order.

Fast mode (issue 17): where the device computes bf16 natively (AVX512-BF16 or AMX, or a GPU) and the
setting is on, a request whose image is not yet encoded is first answered by a reduced-precision engine
sharing the weights; that approximate response (``ScoreResponse.approximate``) is delivered on the same
request id and replaced by the exact fp32 one, which ends the request. Elsewhere the worker never builds the
preview engine (emulated bf16 is slower than fp32).

Only plain data crosses the thread boundary: uint8 numpy images, strings, and the numpy-only
:class:`~carzero_viewer.types.PromptResult` dataclasses.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from carzero_viewer.inference.cancel import CancelToken
from carzero_viewer.viewer_model.responses import ModelState, ScoreResponse

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreRequest:
    """One scoring job: the 8-bit model input, the typed prompts and optional negations.

    Attributes:
        gray: (H, W) uint8 model input of the shown image.
        prompts: typed prompts, in display order.
        template: template applied to bare findings.
        negated: (typed prompt, negated text) pairs for the "contrast with a negation" mode.
        content_hash: the record's hash of ``gray`` (so the engine does not hash it again); "" if unknown.
    """

    gray: np.ndarray
    prompts: tuple[str, ...]
    template: str
    negated: tuple[tuple[str, str], ...] = ()
    content_hash: str = ""


class InferenceWorker(QObject):
    """Owns the engine; every slot runs in the worker thread. Never touches widgets."""

    model_ready = Signal(object)  # ModelState
    model_failed = Signal(str)
    results_ready = Signal(int, object)  # request id, ScoreResponse
    request_failed = Signal(int, str)  # request id, message
    request_cancelled = Signal(int)
    progress = Signal(int, str)  # request id, stage
    notice = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._engine: Any = None
        self._preview: Any = None  # the fast mode's engine, built on first need (None: none)
        self._preview_checked = False  # whether this engine's fast mode was looked for
        self._fast_preview = True  # the user's setting
        self._load_error = "no model loaded yet"

    @Slot(bool)
    def set_fast_preview(self, enabled: bool) -> None:
        """Turn the approximate first answer on or off (it only ever exists where bf16 is native)."""
        self._fast_preview = enabled

    def _preview_engine(self) -> Any:
        """The reduced-precision engine of the fast mode, or None (setting off, or no native fast precision)."""
        if not self._fast_preview or self._engine is None:
            return None
        if not self._preview_checked:
            from carzero_viewer.errors import CarzeroError
            from carzero_viewer.inference.device import fast_precision

            self._preview_checked = True
            fast = fast_precision(self._engine.device.device)
            try:
                self._preview = None if fast is None else self._engine.at_precision(fast)
            except CarzeroError as exc:
                self.notice.emit(f"fast preview unavailable: {exc.message}")
        return self._preview

    @Slot(object, str)
    def load_model(self, candidates: list[Path], device: str) -> None:
        """Load the first candidate weights folder that works (the list ends with the demo fixture)."""
        errors: list[str] = []
        try:
            from carzero_viewer.errors import CarzeroError
            from carzero_viewer.inference.device import fast_precision, select_device
            from carzero_viewer.inference.engine import InferenceEngine
            from carzero_viewer.model.loader import load_model
            from carzero_viewer.paths import resolve_weights_folder

            choice: Any = device  # validated by select_device
            spec = select_device(choice, "fp32")
        except Exception as exc:  # a broken torch install must not kill the viewer
            LOG.exception("cannot start the inference stack")
            self._load_error = f"no model: {exc}"
            self.model_failed.emit(self._load_error)
            return
        for index, candidate in enumerate(candidates):
            try:
                loaded = load_model(resolve_weights_folder(Path(candidate)), spec.device)
                self._engine = InferenceEngine(loaded, spec)
                self._preview, self._preview_checked = None, False
            except CarzeroError as exc:
                errors.append(exc.message)
                continue
            except Exception as exc:
                LOG.exception("loading weights from %s failed", candidate)
                errors.append(f"{candidate}: {exc}")
                continue
            info = self._engine.info
            note = "; ".join(errors) if index > 0 else ""
            self.model_ready.emit(
                ModelState(
                    checkpoint=info.checkpoint.name,
                    weights_path=str(info.checkpoint),
                    short_checksum=info.short_checksum,
                    sha256=info.sha256,
                    status=info.status.value,
                    status_detail=info.status_detail,
                    device=spec.label,
                    is_untrained=info.is_untrained,
                    note=note,
                    fast_precision=fast_precision(spec.device) or "",
                )
            )
            return
        self._load_error = "no model: " + ("; ".join(errors) or "no weights found")
        self.model_failed.emit(self._load_error)

    @Slot(int, object, object)
    def run(self, request_id: int, request: ScoreRequest, token: CancelToken) -> None:
        """Encode the image, then score the prompts; stale requests stop at the next cancel check."""
        from carzero_viewer.errors import Cancelled, CarzeroError

        if token.cancelled:
            self.request_cancelled.emit(request_id)
            return
        if self._engine is None:
            self.request_failed.emit(request_id, self._load_error)
            return
        try:
            from carzero_viewer.inference.engine import content_key

            request = replace(request, content_hash=request.content_hash or content_key(request.gray))
            preview = self._preview_engine()
            if preview is not None and not self._engine.has_image(request.content_hash):
                approximate = self._score(request_id, request, token, preview)
                self.results_ready.emit(request_id, replace(approximate, skipped=()))
            response = self._score(request_id, request, token, self._engine)
        except Cancelled:
            self.request_cancelled.emit(request_id)
            return
        except CarzeroError as exc:
            self.request_failed.emit(request_id, exc.message)
            return
        except Exception as exc:
            if self._is_out_of_memory(exc) and self._fall_back_to_cpu():
                self.notice.emit("GPU out of memory: switched to the CPU for the rest of this session")
                self.run(request_id, request, token)
                return
            LOG.exception("inference request %d failed", request_id)
            self.request_failed.emit(request_id, f"inference failed: {exc}")
            return
        self.results_ready.emit(request_id, response)

    def _score(
        self, request_id: int, request: ScoreRequest, token: CancelToken, engine: Any
    ) -> ScoreResponse:
        from carzero_viewer.errors import CarzeroError

        preview = "" if engine.device.precision == "fp32" else f" ({engine.device.precision} preview)"
        self.progress.emit(request_id, f"encoding the image{preview}")
        image = engine.encode_image(request.gray, token, request.content_hash or None)
        token.check()
        processed, skipped = [], []
        for typed in request.prompts:
            try:
                processed.append(engine.process(typed, request.template))
            except CarzeroError as exc:
                skipped.append(exc.message)
        negated = [engine.process(text, request.template) for _, text in request.negated]
        self.progress.emit(request_id, f"encoding {len(processed) + len(negated)} prompt(s)")
        features = engine.encode_prompts(processed + negated)
        token.check()
        self.progress.emit(request_id, "scoring")
        results = engine.score(image, features, word_maps=True, cancel=token)
        token.check()
        positives = results[: len(processed)]
        negatives = dict(zip((typed for typed, _ in request.negated), results[len(processed) :], strict=True))
        return ScoreResponse(results=positives, negations=negatives, skipped=tuple(skipped))

    @staticmethod
    def _is_out_of_memory(exc: Exception) -> bool:
        from carzero_viewer.inference.device import is_out_of_memory

        return is_out_of_memory(exc)

    def _fall_back_to_cpu(self) -> bool:
        """Rebuild the engine on the CPU after a GPU out-of-memory error; False when already on the CPU."""
        engine = self._engine
        if engine is None or engine.device.device.type == "cpu":
            return False
        self._engine = engine.on_cpu()
        self._preview, self._preview_checked = None, False
        return True


def _stop_thread(thread: QThread) -> None:
    # At interpreter or application teardown the QThread may already be gone (its wrapper collected first);
    # Qt aborts when a *running* QThread is destroyed, so a deleted one had stopped and there is nothing to do.
    if not shiboken6.isValid(thread):
        return
    thread.quit()
    thread.wait()


class RequestChannel(QObject):
    """One "latest request wins" stream of scoring requests over the bridge's single worker.

    A new :meth:`submit` cancels this channel's previous request only; results, failures and progress of any
    request but the channel's latest are dropped. Created by :meth:`InferenceBridge.channel`.
    """

    results_ready = Signal(int, object)  # request id, ScoreResponse (only for the latest request)
    request_failed = Signal(int, str)
    busy_changed = Signal(bool)
    progress = Signal(str)  # stage of the latest request

    def __init__(self, bridge: InferenceBridge, name: str) -> None:
        super().__init__(bridge)
        self.name = name
        self._bridge = bridge
        self._latest_id = bridge.new_request_id()
        self._token: CancelToken | None = None

    @property
    def latest_id(self) -> int:
        return self._latest_id

    def submit(
        self,
        gray: np.ndarray,
        prompts: list[str],
        template: str,
        negated: tuple[tuple[str, str], ...] = (),
        content_hash: str = "",
    ) -> int:
        """Queue a scoring request; cancels this channel's previous one. Returns the new request id."""
        self.cancel()
        self._latest_id = self._bridge.new_request_id()
        self._token = CancelToken()
        if self._bridge.is_stopped():
            return self._latest_id
        self.busy_changed.emit(True)
        request = ScoreRequest(gray, tuple(prompts), template, negated, content_hash)
        self._bridge.run_request(self._latest_id, request, self._token)
        return self._latest_id

    def cancel(self) -> None:
        """Cancel the current request (its results, if any arrive, are dropped)."""
        if self._token is not None:
            self._token.cancel()
            self._token = None

    def invalidate(self) -> None:
        """Cancel and make every outstanding request of this channel stale (e.g. the image was closed)."""
        self.cancel()
        self._latest_id = self._bridge.new_request_id()
        self.busy_changed.emit(False)

    def deliver_results(self, request_id: int, response: ScoreResponse) -> None:
        """Hand on a response; an approximate one leaves the request running (its exact result follows)."""
        if not response.approximate:
            self.busy_changed.emit(False)
        self.results_ready.emit(request_id, response)

    def deliver_failure(self, request_id: int, message: str) -> None:
        self.busy_changed.emit(False)
        self.request_failed.emit(request_id, message)

    def deliver_cancelled(self) -> None:
        self.busy_changed.emit(False)


class InferenceBridge(QObject):
    """GUI-thread facade over the worker thread; the only object widgets talk to for inference.

    Its own ``submit``/``cancel``/``invalidate`` and request signals are those of the default channel (the
    main window's); :meth:`channel` gives other views independent ones.
    """

    model_ready = Signal(object)  # ModelState
    model_failed = Signal(str)
    results_ready = Signal(int, object)  # request id, ScoreResponse (only for the latest request)
    request_failed = Signal(int, str)
    busy_changed = Signal(bool)
    progress = Signal(str)  # stage of the latest request
    notice = Signal(str)  # worker notices (e.g. fell back to the CPU)

    # Private signals that carry work into the worker thread (queued connections).
    _load_requested = Signal(object, str)
    _run_requested = Signal(int, object, object)
    _fast_preview_requested = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("carzero-inference")
        self._worker = InferenceWorker()
        self._worker.moveToThread(self._thread)
        self._load_requested.connect(self._worker.load_model)
        self._run_requested.connect(self._worker.run)
        self._fast_preview_requested.connect(self._worker.set_fast_preview)
        self._worker.model_ready.connect(self._on_model_ready)
        self._worker.model_failed.connect(self._on_model_failed)
        self._worker.results_ready.connect(self._on_results)
        self._worker.request_failed.connect(self._on_failed)
        self._worker.request_cancelled.connect(self._on_cancelled)
        self._worker.progress.connect(self._on_progress)
        self._worker.notice.connect(self._on_notice)
        self._thread.finished.connect(self._worker.deleteLater)
        # A bridge destroyed without shutdown() (its window collected instead of closed) must not take a running
        # QThread with it: Qt aborts the process when a running QThread is destroyed. The partial holds the
        # thread, not the bridge, so it outlives the bridge and is released once the thread has stopped.
        self.destroyed.connect(functools.partial(_stop_thread, self._thread))
        self._last_id = 0
        self._stopped = False
        self._channels: dict[str, RequestChannel] = {}
        self._default = self.channel("")
        self._default.results_ready.connect(self.results_ready)
        self._default.request_failed.connect(self.request_failed)
        self._default.busy_changed.connect(self.busy_changed)
        self._default.progress.connect(self.progress)
        self._thread.start()

    @property
    def latest_id(self) -> int:
        return self._default.latest_id

    def channel(self, name: str) -> RequestChannel:
        """The request channel called ``name`` (created on first use; "" is the default channel)."""
        if name not in self._channels:
            self._channels[name] = RequestChannel(self, name)
        return self._channels[name]

    def new_request_id(self) -> int:
        """A request id never used before by any channel (so a result finds its channel by id)."""
        self._last_id += 1
        return self._last_id

    def run_request(self, request_id: int, request: ScoreRequest, token: CancelToken) -> None:
        """Hand a request to the worker thread (channels call this; requests run in submission order)."""
        self._run_requested.emit(request_id, request, token)

    def is_stopped(self) -> bool:
        return self._stopped

    def load_model(self, candidates: list[Path], device: str = "auto") -> None:
        """Ask the worker to load the first working weights folder of ``candidates``."""
        self._load_requested.emit(list(candidates), device)

    def set_fast_preview(self, enabled: bool) -> None:
        """The Settings > Model "fast preview" choice (applies from the next request)."""
        self._fast_preview_requested.emit(enabled)

    def submit(
        self,
        gray: np.ndarray,
        prompts: list[str],
        template: str,
        negated: tuple[tuple[str, str], ...] = (),
        content_hash: str = "",
    ) -> int:
        """Queue a scoring request on the default channel; cancels its previous one. Returns the request id."""
        return self._default.submit(gray, prompts, template, negated, content_hash)

    def cancel(self) -> None:
        """Cancel the default channel's current request (its results, if any arrive, are dropped)."""
        self._default.cancel()

    def invalidate(self) -> None:
        """Cancel and make every outstanding request of the default channel stale (e.g. the image was closed)."""
        self._default.invalidate()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel outstanding work and stop the thread (idempotent; call before the app quits)."""
        if self._stopped:
            return
        self._stopped = True
        for channel in self._channels.values():
            channel.cancel()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            LOG.warning("inference thread did not stop within %d ms", timeout_ms)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    @Slot(object)
    def _on_model_ready(self, state: ModelState) -> None:
        self.model_ready.emit(state)

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model_failed.emit(message)

    def _channel_of(self, request_id: int) -> RequestChannel | None:
        """The channel whose latest request is ``request_id``; None for a stale request."""
        return next((c for c in self._channels.values() if c.latest_id == request_id), None)

    @Slot(int, object)
    def _on_results(self, request_id: int, response: ScoreResponse) -> None:
        channel = self._channel_of(request_id)
        if channel is None:
            LOG.debug("dropping results of stale request %d", request_id)
            return
        channel.deliver_results(request_id, response)

    @Slot(int, str)
    def _on_progress(self, request_id: int, stage: str) -> None:
        channel = self._channel_of(request_id)
        if channel is not None:
            channel.progress.emit(stage)

    @Slot(str)
    def _on_notice(self, message: str) -> None:
        self.notice.emit(message)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        channel = self._channel_of(request_id)
        if channel is not None:
            channel.deliver_failure(request_id, message)

    @Slot(int)
    def _on_cancelled(self, request_id: int) -> None:
        channel = self._channel_of(request_id)
        if channel is not None:
            channel.deliver_cancelled()
