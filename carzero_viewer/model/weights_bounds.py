"""The bounds every value read from a weights folder must satisfy, each with the reason it is what it is.

A weights folder is untrusted input: a ``.ckpt`` (pickle in a zip) or ``.safetensors`` file, the BERT
``config.json``, ``tokenizer_config.json`` and ``vocab.txt``. The readers (``checkpoint.py``,
``safe_unpickle.py``, ``tensor_checks.py``, ``weights_fields.py``, ``wordpiece.py``) check every value against
these numbers through :mod:`carzero_viewer.untrusted` before anything is built from it. The bounds come from
the formats and from what this application can run in memory, not from the files we happen to have; the
released model (spec section 2) is far inside every one of them.

Sizes of the network (ints; a bool, float or string is refused, never coerced):

===============================  ===================  ==========================================================
field                            bound                why
===============================  ===================  ==========================================================
widths (ViT ``embed_dim``,       1..8,192             one ``D x 4D`` float32 linear at D = 8,192 is already
BERT ``hidden_size``, fusion                          1 GiB; the release is 768 and the widest public
``d_model``)                                          BERT/ViT encoders are 1,024-1,664
head counts                      1..width, divides    attention splits the width into equal heads
                                 the width
FFN / MLP widths                 1..65,536            4x the largest width (the usual FFN ratio), twice over
depths (ViT blocks, BERT         1..128               construction and every forward pass are linear in depth;
layers, fusion layers)                                the deepest public encoders have 48; a config of 100,000
                                                      layers would take hours to build before any other check
MLP head                         2..16 widths, first  the head maps ``d_model`` to one logit per query
                                 = ``d_model``,
                                 last = 1
``patch_size``                   1..``img_size``,     the ViT cuts the crop into whole patches
                                 divides it
patch tokens ``(img/patch)^2``   1..4,096             attention is quadratic in tokens: 4,096 tokens make a
                                                      64 MiB score matrix per head (the release has 196)
``in_chans``                     1..4                 grey, RGB or RGBA; the viewer repeats one grey channel
crop (``img_size``)              1..2,048             bounded with the tokens above (patch >= 1)
``resize_to``                    crop..4,096          the padded square is cropped, so it is at least the crop
LayerNorm eps                    [1.2e-38, 1]         must be a positive normal float32 (eps <= 0 or one that
                                                      rounds to 0 in float32 gives NaN on constant rows;
                                                      a negative eps gave NaN scores); eps above 1 would
                                                      swamp unit-scale variance
dropout probabilities            [0, 1]               probabilities (inactive at inference, but typed)
``vocab_size``                   4..1,048,576         the four special tokens at least; 4x the largest
                                                      public vocabularies (XLM-R 250,002)
``max_position_embeddings``      max_length..8,192    positions must cover the tokenised prompt; BERT-family
                                                      attention is quadratic in length
``max_length`` (``word_num``)    3..512               ``[CLS]`` + one piece + ``[SEP]`` at least; 512 is
                                                      BERT's position table (the release uses 97)
``type_vocab_size``              1..16                token type 0 is used; BERT has 2
``last_n_layers``                1..BERT layers + 1   hidden states are the embedding output + one per layer
preprocessing mean / std         [0, 1] / [1e-6, 1]   pixels are scaled to [0, 1]; std divides
``hidden_act``                   gelu, relu,          what ``bert.py`` implements
                                 gelu_new,
                                 gelu_pytorch_tanh
``position_embedding_type``      absolute             what ``bert.py`` implements
tokenizer options                booleans             ``do_lower_case``, ``tokenize_chinese_chars``; ``strip_accents``
                                                      true, false or null (as ``BertTokenizerFast`` reads them)
===============================  ===================  ==========================================================

Tensors:

- dtypes: float32 as stored; float16, bfloat16 and float64 are cast to float32 on load (the model runs in
  float32, spec pitfall 23; half precision widens exactly, and a float64 value outside float32's range becomes
  infinite and is then refused by the finite check); int64 only for the two unused BERT id buffers; anything
  else (integers, bool, complex, quantised, float8) is refused: no CARZero parameter has such a type.
- layout (``.ckpt``): no zero or negative strides on dimensions longer than 1, no overlapping elements, the view
  inside its storage: a pickle can otherwise describe a 1-element storage viewed as gigabytes, which the first
  copy would materialise.
- :data:`MAX_TENSOR_ELEMENTS` = 2**28 (1 GiB as float32) per tensor and :data:`MAX_TOTAL_ELEMENTS` = 2**30
  (4 GiB as float32, 4.9x the release's 220,771,842 numbers) in all; the same total bounds the parameter count
  of a configuration before a network is built from it.

Files:

- ``data.pkl`` of a ``.ckpt`` at most :data:`MAX_PICKLE_BYTES` = 16 MiB: it holds structure only (tensor data
  lives in separate archive records); the release's 434 tensor entries and its hyper-parameters need well under
  1 MiB. At most :data:`MAX_PICKLE_OPS` = 1,000,000 opcodes (each opcode creates at most one object, so this
  bounds memory), strings/bytes of at most :data:`MAX_PICKLE_STRING` = 1 MiB (names, paths and options), and
  constructor calls (``bytearray(n)``, ``list(s)``...) may create at most :data:`MAX_PICKLE_BUILT` = 4,000,000
  elements in all, integer-sized ``bytes``/``bytearray`` never (no pickler writes them; ``bytearray(2**31)``
  is how a 40-byte pickle asks for 2 GB). Nesting at most :data:`~carzero_viewer.untrusted.MAX_JSON_DEPTH`
  levels and no cycles (Lightning's hyper-parameters are a tree under 10 levels deep).
- safetensors header at most :data:`MAX_SAFETENSORS_HEADER` = 16 MiB of JSON (about 100 bytes per tensor entry
  plus the configuration; the safetensors library itself stops at 100 MB), parsed by the bounded JSON parser.
- BERT JSON files at most :data:`MAX_BERT_JSON_BYTES` = 4 MiB (a ``config.json`` is about 1 KB; label maps of
  large classification heads stay far below).
- ``vocab.txt`` at most :data:`MAX_VOCAB_BYTES` = 64 MiB (``vocab_size`` lines of at most a few hundred bytes),
  UTF-8, one unique non-empty token per line, the special tokens present, no more lines than embedding rows.
"""

from __future__ import annotations

import numpy as np

MAX_WIDTH = 8_192
MAX_FFN = 65_536
MAX_DEPTH = 128
MIN_MLP_HEAD_LAYERS = 2
MAX_MLP_HEAD_LAYERS = 16
MAX_PATCH_TOKENS = 4_096
MAX_IN_CHANS = 4
MAX_CROP = 2_048
MAX_RESIZE = 4_096
MIN_LAYERNORM_EPS = float(np.finfo(np.float32).tiny)
MAX_LAYERNORM_EPS = 1.0
MIN_VOCAB = 4
MAX_VOCAB = 1_048_576
MAX_POSITIONS = 8_192
MIN_MAX_LENGTH = 3
MAX_MAX_LENGTH = 512
MAX_TYPE_VOCAB = 16
MIN_STD = 1e-6

MAX_TENSOR_ELEMENTS = 2**28
MAX_TOTAL_ELEMENTS = 2**30

MAX_PICKLE_BYTES = 16 * 1024 * 1024
MAX_PICKLE_OPS = 1_000_000
MAX_PICKLE_STRING = 1024 * 1024
MAX_PICKLE_BUILT = 4_000_000
MAX_SAFETENSORS_HEADER = 16 * 1024 * 1024
MAX_BERT_JSON_BYTES = 4 * 1024 * 1024
MAX_VOCAB_BYTES = 64 * 1024 * 1024
