"""Safe checkpoint loading: refused globals, damaged files, incomplete BERT folders, key accounting."""

from __future__ import annotations

import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import torch

from carzero_viewer.errors import WeightsError
from carzero_viewer.model.checkpoint import RawWeights, read_official_checkpoint, save_official_checkpoint
from carzero_viewer.model.loader import WeightsStatus, load_model
from carzero_viewer.paths import resolve_weights_folder


class _RunsCommand:
    """Pickles as a call to os.system: what a malicious checkpoint does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, (f"touch {self.marker}",))


def _copy_fixture(fixture_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "weights"
    shutil.copytree(fixture_dir, target)
    for path in target.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return target


def test_fixture_hyper_parameters_read_without_training_stack(fixture_dir: Path) -> None:
    raw = read_official_checkpoint(fixture_dir / "checkpoint.ckpt")
    assert raw.hparams["model"]["text"]["last_n_layers"] == 4
    assert raw.hparams["data"]["text"]["word_num"] == 97
    assert raw.architecture is not None
    assert raw.architecture["fusion"]["num_heads"] == 4
    assert len(raw.tensors) > 100


def test_malicious_pickle_refused_before_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"CARZero.x": torch.zeros(1)}, "hyper_parameters": _RunsCommand(marker)}, path)
    with pytest.raises(WeightsError, match=r"posix\.system|os\.system|nt\.system"):
        read_official_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("target", ["builtins.eval", "builtins.getattr", "subprocess.Popen"])
def test_other_dangerous_globals_refused(tmp_path: Path, target: str) -> None:
    module, name = target.rsplit(".", 1)
    payload = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00."
    path = tmp_path / "evil.ckpt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", payload)
        archive.writestr("evil/version", "3\n")
    with pytest.raises(WeightsError, match=name):
        read_official_checkpoint(path)


def test_truncated_checkpoint(fixture_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.ckpt"
    data = (fixture_dir / "checkpoint.ckpt").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match=r"truncated|corrupt"):
        read_official_checkpoint(path)


def test_empty_and_non_zip_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    with pytest.raises(WeightsError, match=str(empty.name)):
        read_official_checkpoint(empty)
    text = tmp_path / "notes.ckpt"
    text.write_text("not a checkpoint")
    with pytest.raises(WeightsError, match="not a PyTorch checkpoint"):
        read_official_checkpoint(text)


def test_missing_tensor_named(fixture_dir: Path, tmp_path: Path) -> None:
    folder = _copy_fixture(fixture_dir, tmp_path)
    raw = read_official_checkpoint(folder / "checkpoint.ckpt")
    del raw.tensors["fusion_module.mlp_head.9.bias"]
    save_official_checkpoint(raw, folder / "checkpoint.ckpt", force=True)
    with pytest.raises(WeightsError, match=r"missing tensor.*fusion_module\.mlp_head\.9\.bias"):
        load_model(resolve_weights_folder(folder))


def test_unexpected_tensor_named(fixture_dir: Path, tmp_path: Path) -> None:
    folder = _copy_fixture(fixture_dir, tmp_path)
    raw = read_official_checkpoint(folder / "checkpoint.ckpt")
    raw.tensors["fusion_module.backdoor.weight"] = torch.zeros(3)
    save_official_checkpoint(raw, folder / "checkpoint.ckpt", force=True)
    with pytest.raises(WeightsError, match=r"unexpected tensor.*backdoor"):
        load_model(resolve_weights_folder(folder))


def test_non_finite_tensor_refused(fixture_dir: Path, tmp_path: Path) -> None:
    folder = _copy_fixture(fixture_dir, tmp_path)
    raw = read_official_checkpoint(folder / "checkpoint.ckpt")
    raw.tensors["img_encoder.model.norm.weight"][0] = float("nan")
    save_official_checkpoint(raw, folder / "checkpoint.ckpt", force=True)
    with pytest.raises(WeightsError, match="NaN"):
        load_model(resolve_weights_folder(folder))


def test_known_unused_keys_accepted_and_fixture_marked_untrained(tiny_model: object) -> None:
    from carzero_viewer.model.loader import LoadedModel

    assert isinstance(tiny_model, LoadedModel)
    assert tiny_model.info.status is WeightsStatus.UNTRAINED
    assert not tiny_model.model.training


def test_bert_folder_without_vocab(fixture_dir: Path, tmp_path: Path) -> None:
    folder = _copy_fixture(fixture_dir, tmp_path)
    (folder / "bert" / "vocab.txt").unlink()
    with pytest.raises(WeightsError, match=r"vocab\.txt missing"):
        resolve_weights_folder(folder)


def test_vocab_larger_than_embeddings(fixture_dir: Path, tmp_path: Path) -> None:
    folder = _copy_fixture(fixture_dir, tmp_path)
    with (folder / "bert" / "vocab.txt").open("a", encoding="utf-8") as vocab:
        vocab.write("\n".join(f"extra{i}" for i in range(50)) + "\n")
    with pytest.raises(WeightsError, match="does not belong to these weights"):
        load_model(resolve_weights_folder(folder))


def test_plain_pickle_of_raw_weights_round_trips(fixture_dir: Path, tmp_path: Path) -> None:
    raw = read_official_checkpoint(fixture_dir / "checkpoint.ckpt")
    path = tmp_path / "copy.ckpt"
    save_official_checkpoint(
        RawWeights(tensors=raw.tensors, hparams=raw.hparams, info={"trained": False}), path
    )
    again = read_official_checkpoint(path)
    assert again.info == {"trained": False}
    assert all(torch.equal(again.tensors[k], v) for k, v in raw.tensors.items())
    assert pickle.HIGHEST_PROTOCOL >= 2
