"""Versioned settings: round trip, unknown keys kept, corrupt files backed up and replaced by defaults."""

from __future__ import annotations

import json
from pathlib import Path

from carzero_viewer.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 99, "prompts": ["There is edema."], "future_key": [1, 2]}))
    settings = load_settings(path)
    assert settings.prompts == ["There is edema."]
    save_settings(settings, path)
    saved = json.loads(path.read_text())
    assert saved["future_key"] == [1, 2]
    assert saved["version"] == SETTINGS_VERSION


def test_wrong_types_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"prompts": "not a list", "prompt_template": 3}))
    assert load_settings(path) == Settings()


def test_corrupt_file_is_backed_up(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ half written")
    assert load_settings(path) == Settings()
    backups = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == "{ half written"
    assert not path.exists()


def test_list_of_non_texts_falls_back_to_default(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"prompts": [1, {"a": 2}], "recent_files": ["/a.png"]}))
    settings = load_settings(path)
    assert settings.prompts == []
    assert settings.recent_files == ["/a.png"]


def test_deeply_nested_file_is_backed_up_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"extra": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.corrupt-*"))) == 1


def test_nan_and_lone_surrogates_are_refused(tmp_path: Path) -> None:
    for text in ('{"prompt_template": NaN}', '{"prompts": ["\\ud800"]}'):
        path = tmp_path / "settings.json"
        path.write_text(text)
        assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.corrupt-*"))) >= 1


def test_last_folders_round_trip_and_a_non_text_folder_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(last_folders={"export_image": "/data/figures"}), path)
    assert load_settings(path).last_folders == {"export_image": "/data/figures"}
    path.write_text(json.dumps({"last_folders": {"export_image": 3}, "prompts": ["There is edema."]}))
    settings = load_settings(path)
    assert settings.last_folders == {}
    assert settings.prompts == ["There is edema."]


def test_hidden_panels_round_trip_and_a_non_text_entry_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(hidden_panels=["Ground truth", "Maps"]), path)
    assert load_settings(path).hidden_panels == ["Ground truth", "Maps"]
    path.write_text(json.dumps({"hidden_panels": ["Maps", {"deep": 1}]}))
    assert load_settings(path).hidden_panels == []


def test_fast_preview_is_on_by_default_and_kept() -> None:
    from carzero_viewer.settings import Settings

    assert Settings().fast_preview is True
    assert Settings.from_dict({**Settings().to_dict(), "fast_preview": False}).fast_preview is False
    assert Settings.from_dict({"fast_preview": "no"}).fast_preview is True  # wrong type: the default
