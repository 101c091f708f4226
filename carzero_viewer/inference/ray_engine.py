"""``score --engine ray``: the archive run as a Ray Data pipeline, on a local Ray or on a cluster.

The pipeline is the conventional one for batch inference with a model per worker:

1. the work items (path + what the table already holds for it, planned by the driver from the validated
   inputs) become a dataset (``ray.data.from_items``);
2. ``map`` runs :func:`~carzero_viewer.inference.archive.decode_item` in CPU tasks: hash, and decode to the
   8-bit model input only the files with missing rows;
3. ``map_batches`` sends batches to a pool of actors (``compute=ActorPoolStrategy(size=...)``), each holding
   one engine (``num_gpus=1`` per actor when the cluster has GPUs, otherwise CPU actors), which run
   :meth:`~carzero_viewer.inference.archive.BatchScorer.outcomes`: the local engine's per-batch function, so
   both engines compute the same rows by construction (a model batch of another size may change float
   summation order in the matrix products: ~1e-7 relative, measured);
4. the driver streams the outcomes back (``iter_batches``) and writes them through the same crash-safe
   table writer as the local engine, so the table, its metadata, ``--resume`` and the errors file are the same.

Text is encoded once per actor (when it starts, with its model): 14 prompts cost ~0.3 s of BERT on a CPU,
nothing beside loading the model, and the features never have to travel between processes or devices (a
``ray.put`` of them would still need copying onto each actor's GPU, and the driver would have to load BERT).

Ray is optional (the ``distributed`` extra) and imported only here, only for ``--engine ray``. A local Ray is
started for the run with this machine's CPUs, without its dashboard, and with its worker logs kept out of the
terminal; ``--ray-address auto`` or ``ray://host:10001`` joins an existing cluster, whose workers must see the
weights and the images at the same paths (shared storage).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from carzero_viewer.archive import WorkItem
from carzero_viewer.archive.table import Row
from carzero_viewer.errors import CarzeroError
from carzero_viewer.inference.archive import BatchScorer, DecodedItem, ImageOutcome, RowSpec, decode_item
from carzero_viewer.inference.device import DeviceChoice, Precision
from carzero_viewer.paths import WeightsLocation

INSTALL_HINT = "pip install 'carzero-viewer[distributed]'"
CPUS_PER_CPU_ACTOR = 4  # a CPU actor's torch threads; the rest of the CPUs decode
# Memory reserved per decode task: the file, its full-depth pixels and the model input of a large radiograph
# (a 3000 x 3000 16-bit DICOM in JPEG 2000: ~10 MB file, 18 MB pixels, float rescaling and the 8-bit input,
# ~100-150 MB at the peak), so Ray never runs more decodes than a node's memory holds. Being a resource the
# actors do not ask for, it also keeps Ray from fusing the decode stage into the actors, where it would
# serialize decoding with the model.
DECODE_MEMORY = 256 * 1024 * 1024
LOG = logging.getLogger(__name__)


class RayEngineError(CarzeroError):
    """Ray is missing or the cluster cannot be reached."""


def require_ray() -> None:
    """Raise a one-line install hint when Ray Data is not installed."""
    try:
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayEngineError(f"--engine ray needs Ray Data, which is not installed: {INSTALL_HINT}") from exc


def _decode_row(row: dict[str, Any], spec: RowSpec) -> dict[str, Any]:
    """Stage 2 (a CPU task): one work item to its model input, or why it is skipped or failed."""
    decoded = decode_item(WorkItem(row["path"], json.loads(row["done"])), spec)
    return {
        "path": decoded.path,
        "sha256": decoded.sha256,
        "missing": json.dumps(list(decoded.missing)),
        "gray": decoded.gray if decoded.gray is not None else np.zeros((0, 0), np.uint8),
        "reason": decoded.reason,
    }


def output_schema() -> Any:
    """The actors' output: one record per row, and one per skipped or failed file (``first`` starts a file)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("path", pa.string()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("first", pa.bool_()),
            ("content_sha256", pa.string()),
            ("name", pa.string()),
            ("score", pa.float64()),
            ("i2t", pa.float64()),
            ("t2i", pa.float64()),
            ("map_14", pa.list_(pa.float32())),
            ("geometry", pa.list_(pa.int32())),
        ]
    )


def _records(outcomes: Sequence[ImageOutcome], row_kind: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for outcome in outcomes:
        head = {"path": outcome.path, "status": outcome.status, "reason": outcome.reason}
        if not outcome.rows:
            records.append({**head, "first": True})
        for index, row in enumerate(outcome.rows):
            records.append(
                {
                    **head,
                    **row,
                    "first": index == 0,
                    "name": row[row_kind],
                    "map_14": row.get("map_14"),
                    "geometry": row.get("geometry"),
                }
            )
    return records


class ScoreActor:
    """Stage 3: one engine per actor, loaded once; each call scores one batch of decoded files."""

    def __init__(
        self,
        location: WeightsLocation,
        device: DeviceChoice,
        precision: Precision,
        spec: RowSpec,
        threads: int,
    ) -> None:
        import torch

        from carzero_viewer.inference.device import select_device
        from carzero_viewer.inference.engine import InferenceEngine
        from carzero_viewer.model.loader import load_model

        spec_device = select_device(device, precision)
        if spec_device.device.type == "cpu":
            torch.set_num_threads(threads)
        self.row_kind = spec.row_kind
        self.scorer = BatchScorer(
            InferenceEngine(load_model(location, spec_device.device), spec_device), spec
        )

    def __call__(self, batch: dict[str, Any]) -> Any:
        import pyarrow as pa

        items = [
            DecodedItem(
                str(path), str(sha), tuple(json.loads(str(missing))), gray if gray.size else None, str(reason)
            )
            for path, sha, missing, gray, reason in zip(
                batch["path"], batch["sha256"], batch["missing"], batch["gray"], batch["reason"], strict=True
            )
        ]
        records = _records(self.scorer.outcomes(items), self.row_kind)
        return pa.Table.from_pylist(records, schema=output_schema())


def outcomes_from_records(records: Iterator[dict[str, Any]], spec: RowSpec) -> Iterator[ImageOutcome]:
    """Stage 4 (the driver): the actors' records back into one outcome per file, as the local engine gives."""
    current: ImageOutcome | None = None
    for record in records:
        if record["first"]:
            if current is not None:
                yield current
            current = ImageOutcome(record["path"], record["status"], record["reason"] or "")
        if current is None:
            raise RayEngineError("the Ray pipeline returned rows without their file")
        if record["status"] == "scored":
            row: Row = {
                "path": record["path"],
                "content_sha256": record["content_sha256"],
                spec.row_kind: record["name"],
                "score": record["score"],
                "i2t": record["i2t"],
                "t2i": record["t2i"],
            }
            if spec.with_maps:
                row["map_14"] = record["map_14"]
                row["geometry"] = record["geometry"]
            current.rows.append(row)
    if current is not None:
        yield current


def _root_cause(exc: Exception) -> str:
    """The last ``Name: reason`` line of a Ray error (the worker's own exception), else its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [
        line for line in lines if ": " in line and line.split(": ", 1)[0].rsplit(".", 1)[-1].endswith("Error")
    ]
    return (causes[-1] if causes else lines[0] if lines else type(exc).__name__)[:300]


class RayRun:
    """The options of one Ray run; :meth:`outcomes` runs the pipeline over work items."""

    def __init__(
        self,
        location: WeightsLocation,
        device: DeviceChoice,
        precision: Precision,
        spec: RowSpec,
        batch_size: int | None,
        address: str | None,
    ) -> None:
        self.location = location
        self.device = device
        self.precision = precision
        self.spec = spec
        self.batch_size = batch_size
        self.address = address
        self._started = False
        self._layout = (1, 0, 1)

    def _start(self) -> bool:
        """Join ``address`` or start a local Ray; True when this run started it (and so shuts it down)."""
        import ray

        if ray.is_initialized():
            return False
        for name in ("ray", "ray.data"):  # Ray's records go to our log file, not the terminal
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
        if self.address is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
            options.update(num_cpus=cpus, include_dashboard=False)
        try:
            ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray"
            raise RayEngineError(
                f"cannot start or reach {where}: {' '.join(str(exc).split())[:300]}"
            ) from exc
        for name in ("ray", "ray.data"):  # Ray's records go to our log file, not the terminal
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        return True

    def _pool(self) -> tuple[int, int, int]:
        """(actors, GPUs per actor, CPUs per actor = its torch threads) from what the cluster offers.

        One actor per GPU; without GPUs, one actor per :data:`CPUS_PER_CPU_ACTOR` CPUs (at least one), each
        with the CPUs left after one per actor is kept for the decode tasks.
        """
        import ray

        resources: dict[str, float] = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus and self.device != "cpu":
            return gpus, 1, 1
        # Checked here, where the cluster's resources are known, so that no actor fails to start.
        if self.device == "cuda":
            raise RayEngineError("--device cuda: the Ray cluster has no GPU; use --device auto or cpu")
        if self.precision == "fp16":
            raise RayEngineError("--precision fp16: the Ray cluster has no GPU, and fp16 runs on CUDA only")
        cpus = max(1, int(resources.get("CPU", 1)))
        actors = max(1, cpus // CPUS_PER_CPU_ACTOR)
        return actors, 0, max(1, (cpus - actors) // actors)

    def start(self) -> None:
        """Start or join Ray and size the actor pool, before any output is opened (a refusal leaves nothing).

        Raises:
            RayEngineError: Ray cannot be reached, or the options ask for what the cluster lacks.
        """

        self._started = self._start()
        try:
            self._layout = self._pool()
        except RayEngineError:
            self.stop()
            raise

    def stop(self) -> None:
        """Shut down the local Ray this run started (a cluster it joined is left running)."""
        import ray

        if self._started:
            ray.shutdown()
            self._started = False

    def outcomes(self, items: Sequence[WorkItem]) -> Iterator[ImageOutcome]:
        """Run the pipeline over ``items`` (after :meth:`start`); one outcome per file, as batches complete."""
        import ray
        import ray.data

        try:
            if not items:
                return
            actors, gpus, threads = self._layout
            size = self.batch_size or (64 if gpus else 4)
            LOG.info(
                "Ray run: %d actor(s) with %d GPU / %d CPU each, batches of %d", actors, gpus, threads, size
            )
            rows = [
                {"path": i.path, "done": json.dumps({k: sorted(v) for k, v in i.done.items()})} for i in items
            ]
            listed = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows) // size, 10_000)))
            decoded = listed.map(partial(_decode_row, spec=self.spec), num_cpus=1, memory=DECODE_MEMORY)
            scored = decoded.map_batches(
                ScoreActor,
                fn_constructor_kwargs={
                    "location": self.location,
                    "device": self.device,
                    "precision": self.precision,
                    "spec": self.spec,
                    "threads": threads,
                },
                batch_size=size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=actors),
                num_gpus=gpus,
                num_cpus=threads,
            )
            tables: Iterator[Any] = iter(scored.iter_batches(batch_format="pyarrow", batch_size=None))
            yield from outcomes_from_records((r for t in tables for r in t.to_pylist()), self.spec)
        except ray.exceptions.RayError as exc:
            raise RayEngineError(f"the Ray pipeline failed: {_root_cause(exc)}") from exc
        finally:
            self.stop()
