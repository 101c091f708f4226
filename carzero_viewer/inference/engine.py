"""The synchronous inference engine: encode images and prompts once, score any combination fast.

Exact shortcuts relative to the official computation (each equal to it up to float summation order):

* BERT runs on prompts padded only to the batch's longest prompt (padding is masked out of attention);
* the t2i memory's identical zero padding slots collapse into one key with multiplicity ``97 - n``;
* one prepared copy of the image tokens serves every prompt query and every word query (the decoder has no
  self-attention, so queries are independent);
* image and prompt features are cached (text never depends on the image and vice versa).

The engine is not thread-safe by itself: the UI calls it from its single inference thread.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
import torch

from carzero_viewer.errors import ModelLoadError
from carzero_viewer.inference.cancel import CancelToken
from carzero_viewer.inference.device import DeviceChoice, DeviceSpec, Precision, select_device
from carzero_viewer.inference.features import (
    ImageFeatures,
    PromptFeatures,
    encode_images,
    encode_prompts,
    stack_memories,
)
from carzero_viewer.inference.prompts import DEFAULT_TEMPLATE, process_prompt
from carzero_viewer.model.loader import LoadedModel, ModelInfo
from carzero_viewer.model.preprocessing import PreparedImage, prepare
from carzero_viewer.types import ProcessedPrompt, PromptResult

K = TypeVar("K")
V = TypeVar("V")
LAST_N_LAYERS = 4  # the official maps average the last four decoder layers


class LruCache(Generic[K, V]):
    """A small least-recently-used mapping."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def content_key(gray: npt.NDArray[np.uint8]) -> str:
    """Hash of the exact 8-bit model input (shape included): identical pixels share cached features."""
    digest = hashlib.sha256(np.ascontiguousarray(gray).tobytes())
    digest.update(str(gray.shape).encode())
    return digest.hexdigest()


def _numpy(x: torch.Tensor) -> npt.NDArray[np.float32]:
    return np.asarray(x.detach().float().cpu().numpy(), dtype=np.float32)


class InferenceEngine:
    """Scores (image, prompt) pairs with caching. Returned data is numpy only."""

    def __init__(
        self,
        loaded: LoadedModel,
        device: DeviceSpec,
        image_cache_size: int = 16,
        prompt_cache_size: int = 512,
        pack_weights: bool = True,
    ) -> None:
        self.loaded = loaded
        self.device = device
        self.model = loaded.model.to(device.device).eval()
        # oneDNN-packed fp32 weights: same arithmetic, much faster for few-row inputs (see model.cpu_packing).
        self.packed = pack_weights and device.precision == "fp32" and self.model.pack_for_cpu()
        self._images: LruCache[str, ImageFeatures] = LruCache(image_cache_size)
        self._prompts: LruCache[str, PromptFeatures] = LruCache(prompt_cache_size)

    @property
    def info(self) -> ModelInfo:
        return self.loaded.info

    @property
    def model_id(self) -> str:
        """Identifies the weights and numerics that produced a result (cache keys, exports)."""
        return f"{self.info.short_checksum}@{self.device.device.type}-{self.device.precision}"

    def at_precision(self, precision: Precision) -> InferenceEngine:
        """An engine over the same weights and device computing in ``precision`` (the viewer's fast preview).

        It shares the model (no second copy) and has its own caches, so features of one precision never
        answer a request of the other.

        Raises:
            ModelLoadError: ``precision`` is refused on this device (see ``select_device``).
        """
        choice: DeviceChoice = "cuda" if self.device.device.type == "cuda" else "cpu"
        return InferenceEngine(self.loaded, select_device(choice, precision), pack_weights=False)

    def on_cpu(self) -> InferenceEngine:
        """A CPU engine over the same weights (after a GPU out-of-memory error); caches start empty."""
        if self.device.device.type == "cuda":
            torch.cuda.empty_cache()
        self.loaded.model.to("cpu")
        return InferenceEngine(self.loaded, select_device("cpu"))

    def clear_caches(self) -> None:
        self._images.clear()
        self._prompts.clear()

    def process(self, typed: str, template: str = DEFAULT_TEMPLATE, raw: bool = False) -> ProcessedPrompt:
        return process_prompt(typed, template, raw)

    def prepare_image(self, gray: npt.NDArray[np.uint8]) -> PreparedImage:
        """The exact resize/pad/crop of one 8-bit image (also what the UI shows as "model input")."""
        pre = self.model.config.preprocess
        return prepare(gray, pre.resize_to, pre.crop_size)

    @torch.inference_mode()
    def encode_images(
        self,
        grays: Sequence[npt.NDArray[np.uint8]],
        cancel: CancelToken | None = None,
        hashes: Sequence[str] | None = None,
    ) -> list[ImageFeatures]:
        """Encode 8-bit grayscale images (original size), reusing cached features; one ViT batch for the rest.

        Args:
            hashes: content hashes of ``grays`` when the caller already has them (``ImageRecord.content_hash``),
                so the pixels are not hashed again on every request; computed here otherwise.
        """
        hashes = hashes if hashes is not None else [content_key(g) for g in grays]
        keys = [f"{h}:{self.model_id}" for h in hashes]
        found = {key: cached for key in keys if (cached := self._images.get(key)) is not None}
        todo = [(key, g) for key, g in zip(keys, grays, strict=True) if key not in found]
        if todo:
            prepared = [self.prepare_image(g) for _, g in todo]
            if cancel is not None:
                cancel.check()
            pixels = self.model.pixels_from_crops([p.crop for p in prepared])
            with self.device.autocast():
                encoded = encode_images(
                    self.model, pixels, [k for k, _ in todo], [p.geometry for p in prepared]
                )
            for feature in encoded:
                self._images.put(feature.key, feature)
                found[feature.key] = feature
        return [found[key] for key in keys]

    def has_image(self, content_hash: str) -> bool:
        """Whether the features of the image with this content hash are cached (a request needs no ViT pass)."""
        return self._images.get(f"{content_hash}:{self.model_id}") is not None

    def encode_image(
        self, gray: npt.NDArray[np.uint8], cancel: CancelToken | None = None, content_hash: str | None = None
    ) -> ImageFeatures:
        return self.encode_images([gray], cancel, None if content_hash is None else [content_hash])[0]

    @torch.inference_mode()
    def encode_prompts(self, prompts: Sequence[ProcessedPrompt]) -> list[PromptFeatures]:
        """Encode prompts, reusing cached features (keyed by the cleaned text the model actually sees)."""
        found: dict[str, PromptFeatures] = {}
        todo: dict[str, ProcessedPrompt] = {}  # by cleaned text: duplicates are encoded once
        for prompt in prompts:
            cached = self._prompts.get(prompt.cleaned)
            if cached is not None:
                found[prompt.cleaned] = cached
            else:
                todo.setdefault(prompt.cleaned, prompt)
        if todo:
            pending = list(todo.values())
            batch = self.model.text_encoder.tokenize(self.loaded.tokenizer, [p.cleaned for p in pending])
            with self.device.autocast():
                encoded = encode_prompts(self.model, batch, pending)
            for feature in encoded:
                self._prompts.put(feature.prompt.cleaned, feature)
                found[feature.prompt.cleaned] = feature
        # A cached feature may carry another typed text with the same cleaned text: re-attach this prompt.
        return [replace(found[p.cleaned], prompt=p) for p in prompts]

    def score(
        self,
        image: ImageFeatures,
        prompts: Sequence[PromptFeatures],
        word_maps: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[PromptResult]:
        """Official scores, prompt maps, per-word attention and (optionally) per-word maps for one image."""
        return self.score_images([image], prompts, word_maps, cancel)[0]

    @torch.inference_mode()
    def score_images(
        self,
        images: Sequence[ImageFeatures],
        prompts: Sequence[PromptFeatures],
        word_maps: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[list[PromptResult]]:
        """:meth:`score` for several images at once: one result list per image.

        The prompts' sentence embeddings and all their word slots query every image memory in one decoder
        pass (queries never interact, and neither do memories, so this equals separate calls); the t2i
        direction is a second pass in which every image's ``img_g`` queries every prompt memory. Batching
        images matters on a GPU, where one image's fusion pass is too small to occupy the device.
        """
        if not prompts or not images:
            return [[] for _ in images]
        fusion = self.model.fusion_module
        grid = self.model.config.vision.grid
        count = len(prompts)
        with self.device.autocast():
            queries = [torch.stack([p.sentence for p in prompts])]
            if word_maps:
                queries += [p.slots for p in prompts]
                queries.append(torch.zeros_like(prompts[0].slots[:1]))  # the query of every padding slot
            memory = images[0].memory if len(images) == 1 else stack_memories([i.memory for i in images])
            i2t = fusion.attend(memory, torch.cat(queries).unsqueeze(0))
            if cancel is not None:
                cancel.check()
            image_queries = torch.cat([i.img_g for i in images]).unsqueeze(0)
            t2i = fusion.attend(stack_memories([p.memory for p in prompts]), image_queries)
        all_maps = _numpy(torch.stack(i2t.attention[-LAST_N_LAYERS:]).float().mean(dim=0)[..., 1:])
        all_maps = all_maps.reshape(len(images), -1, grid, grid)
        word_attention = _numpy(torch.stack(t2i.attention[-LAST_N_LAYERS:]).float().mean(dim=0))
        i2t_logits = _numpy(i2t.logits[:, :count])
        t2i_logits = _numpy(t2i.logits)
        self._require_finite(i2t_logits, t2i_logits, all_maps, word_attention)
        return [
            self._results(
                image, prompts, all_maps[b], word_attention[:, b], i2t_logits[b], t2i_logits[:, b], word_maps
            )
            for b, image in enumerate(images)
        ]

    def _require_finite(self, *outputs: npt.NDArray[np.float32]) -> None:
        """Defence in depth behind the weights checks: never hand on NaN or infinite scores or maps.

        Raises:
            ModelLoadError: naming the weights file, since only the weights can make finite inputs overflow.
        """
        if not all(np.isfinite(output).all() for output in outputs):
            raise ModelLoadError(
                "the model produced NaN or infinite scores; these weights (or their configuration) are unusable",
                self.info.checkpoint,
            )

    def _results(
        self,
        image: ImageFeatures,
        prompts: Sequence[PromptFeatures],
        image_maps: npt.NDArray[np.float32],
        word_attention: npt.NDArray[np.float32],
        i2t_logits: npt.NDArray[np.float32],
        t2i_logits: npt.NDArray[np.float32],
        word_maps: bool,
    ) -> list[PromptResult]:
        """One image's results from its rows of the batched decoder outputs."""
        grid = self.model.config.vision.grid
        results = []
        start = len(prompts)
        for p, feature in enumerate(prompts):
            n = len(feature.words)
            if word_maps:
                maps, start = image_maps[start : start + n], start + n
                padding_map = (
                    image_maps[-1] if feature.padding_slots else np.full((grid, grid), np.nan, np.float32)
                )
            else:
                maps = np.zeros((0, grid, grid), np.float32)
                padding_map = np.full((grid, grid), np.nan, np.float32)
            results.append(
                PromptResult(
                    prompt=feature.prompt,
                    words=feature.words,
                    truncated=feature.truncated,
                    score=float((i2t_logits[p] + t2i_logits[p]) / 2),
                    i2t=float(i2t_logits[p]),
                    t2i=float(t2i_logits[p]),
                    grounding_map=image_maps[p],
                    word_attention=self._official_word_attention(word_attention[p], n, feature.padding_slots),
                    word_maps=maps,
                    padding_word_map=padding_map,
                    geometry=image.geometry,
                    precision=self.device.precision,
                )
            )
        return results

    def score_texts(
        self,
        gray: npt.NDArray[np.uint8],
        texts: Sequence[str],
        template: str = DEFAULT_TEMPLATE,
        raw: bool = False,
        word_maps: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[PromptResult]:
        """Convenience: process, encode and score in one call."""
        image = self.encode_image(gray, cancel)
        prompts = self.encode_prompts([self.process(t, template, raw) for t in texts])
        return self.score(image, prompts, word_maps, cancel)

    def _official_word_attention(
        self, weights: npt.NDArray[np.float32], n: int, padding: int
    ) -> npt.NDArray[np.float32]:
        """Expand collapsed t2i weights to the official ``1 + max_length`` layout (padding shares its weight)."""
        full = np.zeros(1 + self.model.config.text.max_length, dtype=np.float32)
        full[: 1 + n] = weights[: 1 + n]
        if padding:
            full[1 + n :] = weights[1 + n] / padding
        return full
