"""Our plain-torch BERT and WordPiece tokenizer against transformers' ``BertModel`` / ``BertTokenizerFast``.

transformers is a test-only dependency: it is the implementation the official CARZero code runs, so agreement
with it (same parameter names, same hidden states, same token ids) is what makes dropping it from the app safe.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

from carzero_viewer.errors import ModelLoadError, WeightsError
from carzero_viewer.model.bert import Bert
from carzero_viewer.model.config import unsupported_bert_settings
from carzero_viewer.model.loader import load_model
from carzero_viewer.model.random_init import synthetic_vocab
from carzero_viewer.model.wordpiece import WordPieceTokenizer, load_tokenizer
from carzero_viewer.paths import resolve_weights_folder
from tests.tolerances import assert_close

SMALL_BERT = {
    "vocab_size": 50,
    "hidden_size": 48,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "intermediate_size": 96,
    "max_position_embeddings": 40,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "hidden_act": "gelu",
    "pad_token_id": 0,
}

AWKWARD_TEXTS = [
    "",
    "there is pneumonia",
    "pleural_effusion at the left base",
    "Cardiomegaly, MILD; no pneumothorax!",
    "café crème naïve façade Ångström",
    "肺炎 in the 右 lung",
    "tab\tseparated\u200bzero-width\u0007bell",
    "x" * 150,
    "a " * 200,
    "supercalifragilisticexpialidocious hyperinflation",
    "1.5 cm nodule (RUL) — see prior",
    "   leading and trailing spaces   ",
]


def _hf_model(settings: dict[str, object], attention: str) -> BertModel:
    config = BertConfig(**settings, attn_implementation=attention)
    return BertModel(config, add_pooling_layer=False).eval()


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
@pytest.mark.parametrize("activation", ["gelu", "relu", "gelu_new"])
def test_hidden_states_match_bert_model(attention: str, activation: str) -> None:
    torch.manual_seed(0)
    settings = {**SMALL_BERT, "hidden_act": activation}
    reference = _hf_model(settings, attention)
    ours = Bert(settings).eval()
    ours.load_state_dict(reference.state_dict(), strict=False)
    assert set(ours.state_dict()) == set(reference.state_dict()) - {
        "embeddings.position_ids",
        "embeddings.token_type_ids",
    }
    ids = torch.randint(1, 50, (3, 11))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    mask[2, 2:] = 0
    with torch.inference_mode():
        expected = reference(
            input_ids=ids,
            attention_mask=mask,
            token_type_ids=torch.zeros_like(ids),
            output_hidden_states=True,
        ).hidden_states
        got = ours(ids, mask)
    assert len(got) == len(expected) == 4
    real = mask.bool()
    for ours_layer, theirs in zip(got, expected, strict=True):
        assert_close(ours_layer[real], theirs[real], "hidden states")


def test_real_tokens_do_not_depend_on_padding() -> None:
    torch.manual_seed(1)
    bert = Bert(SMALL_BERT).eval()
    for parameter in bert.parameters():
        torch.nn.init.normal_(parameter, std=0.5)
    ids = torch.randint(1, 50, (1, 6))
    padded = torch.cat((ids, torch.zeros(1, 20, dtype=torch.int64)), dim=1)
    with torch.inference_mode():
        short = bert(ids, torch.ones_like(ids))[-1]
        long = bert(padded, (padded != 0).long() | torch.arange(26).lt(6).long())[-1]
    # Padding changes only the matrix shapes, hence the kernels' summation order: float noise scales with the
    # values (std-0.5 weights make them large); a leak of padding into the real tokens moves them by 7.6e-2.
    assert_close(short[0], long[0, :6], "real tokens, unpadded vs padded")


def test_unsupported_configuration_is_named() -> None:
    problems = unsupported_bert_settings({"hidden_act": "swish", "position_embedding_type": "relative_key"})
    assert len(problems) == 2
    assert "swish" in problems[0] and "relative_key" in problems[1]
    with pytest.raises(ValueError, match="swish"):
        Bert({**SMALL_BERT, "hidden_act": "swish"})


def test_loader_rejects_unsupported_activation(fixture_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "weights"
    shutil.copytree(fixture_dir, folder)
    config_file = folder / "bert" / "config.json"
    config_file.write_text(
        json.dumps({**json.loads(config_file.read_text(encoding="utf-8")), "hidden_act": "swish"}),
        encoding="utf-8",
    )
    with pytest.raises(ModelLoadError, match=r"config\.json: hidden_act: 'swish' is not one of"):
        load_model(resolve_weights_folder(folder))


@pytest.fixture(scope="module")
def vocab_dirs(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> list[Path]:
    """The fixture's tiny vocabulary and the synthetic full-size one of the random demo weights."""
    synthetic = tmp_path_factory.mktemp("synthetic")
    (synthetic / "vocab.txt").write_text("\n".join(synthetic_vocab(28996)) + "\n", encoding="utf-8")
    return [fixture_dir / "bert", synthetic]


@pytest.mark.parametrize("options", [{}, {"do_lower_case": False}, {"strip_accents": True}])
@pytest.mark.parametrize("pad_to_max_length", [False, True])
def test_token_ids_match_bert_tokenizer_fast(
    vocab_dirs: list[Path], options: dict[str, object], pad_to_max_length: bool
) -> None:
    for folder in vocab_dirs:
        vocab = folder / "vocab.txt"
        reference = BertTokenizerFast(vocab_file=str(vocab), **options)
        ours = WordPieceTokenizer(vocab, options).encode(AWKWARD_TEXTS, 97, pad_to_max_length)
        expected = reference(
            AWKWARD_TEXTS,
            truncation=True,
            max_length=97,
            padding="max_length" if pad_to_max_length else "longest",
        )
        assert ours.ids == expected["input_ids"]
        assert ours.mask == expected["attention_mask"]
        for row, tokens in zip(expected["input_ids"], ours.tokens, strict=True):
            assert list(tokens) == [t for t in reference.convert_ids_to_tokens(row) if t != "[PAD]"]
        assert ours.truncated == [len(reference.tokenize(t)) > 95 for t in AWKWARD_TEXTS]


def test_word_pieces_are_not_truncated(fixture_dir: Path) -> None:
    tokenizer = WordPieceTokenizer(fixture_dir / "bert" / "vocab.txt")
    tokenizer.encode(["a " * 300], 10, pad_to_max_length=True)
    assert len(tokenizer.word_pieces("a " * 300)) == 300


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[CLS]\n[SEP]\n[UNK]\nlung\n", r"\[PAD\]"),
        ("", "special token"),
    ],
)
def test_bad_vocabulary_is_named(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "vocab.txt").write_text(content, encoding="utf-8")
    with pytest.raises(WeightsError, match=reason) as raised:
        load_tokenizer(tmp_path, 1000)
    assert raised.value.path == tmp_path / "vocab.txt"


def test_vocabulary_larger_than_embeddings_is_refused(fixture_dir: Path) -> None:
    with pytest.raises(WeightsError, match="does not belong"):
        load_tokenizer(fixture_dir / "bert", 10)


def test_unreadable_tokenizer_config_is_named(fixture_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bert"
    shutil.copytree(fixture_dir / "bert", folder)
    (folder / "tokenizer_config.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(
        WeightsError, match=r"tokenizer_config\.json: must be an object, not a list"
    ) as raised:
        load_tokenizer(folder, 1000)
    assert raised.value.path == folder / "tokenizer_config.json"
    (folder / "tokenizer_config.json").write_text('{"do_lower_case": false', encoding="utf-8")
    with pytest.raises(WeightsError, match=r"tokenizer_config\.json is not valid JSON"):
        load_tokenizer(folder, 1000)
