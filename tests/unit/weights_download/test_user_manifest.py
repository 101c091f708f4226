"""Checksums recorded by ``weights download`` land in the user's manifest and are looked up like the shipped ones."""

from __future__ import annotations

from carzero_viewer.checksums import ManifestEntry, load_manifest, lookup, record_checksum, user_manifest_path


def test_recorded_checksum_is_found_and_a_redownload_replaces_it() -> None:
    first = ManifestEntry("/w/CARZero_best_model.ckpt", "a" * 64, True, "downloaded")
    record_checksum(first)
    assert lookup("A" * 64) == first
    second = ManifestEntry(first.name, "b" * 64, True, "downloaded again")
    record_checksum(second)
    assert lookup("a" * 64) is None
    assert load_manifest(user_manifest_path()) == [second]
