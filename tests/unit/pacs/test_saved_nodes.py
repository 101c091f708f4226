"""PACS nodes in the settings: a round trip, and hand-edited entries checked at the boundary."""

from __future__ import annotations

from carzero_viewer.pacs import PacsNode
from carzero_viewer.pacs.saved_nodes import SETTINGS_KEY, SavedNode, load_nodes, store_nodes
from carzero_viewer.settings import Settings, load_settings, save_settings

NODE = SavedNode(
    "Archive", PacsNode("ORTHANC", "127.0.0.1", 4242), "CARZERO", "http://127.0.0.1:8042/dicom-web"
)


def test_nodes_survive_a_save_and_a_load() -> None:
    settings = Settings()
    store_nodes(settings, [NODE])
    save_settings(settings)
    assert load_nodes(load_settings()) == ([NODE], [])


def test_a_bad_entry_is_left_out_with_its_reason_and_the_others_kept() -> None:
    good = NODE.to_json()
    settings = Settings(
        extra={
            SETTINGS_KEY: [
                {**good, "port": "4242"},
                {**good, "aet": "TOO_LONG_FOR_A_TITLE"},
                {**good, "dicomweb": "ftp://x"},
                "not an object",
                good,
            ]
        }
    )
    nodes, problems = load_nodes(settings)
    assert nodes == [NODE]
    assert [p.split(": ", 1)[1] for p in problems] == [
        "pacs_nodes[0].port: must be an integer, not a string",
        "pacs_nodes[1]: called AE title 'TOO_LONG_FOR_A_TITLE' is longer than 16 characters",
        "pacs_nodes[2]: DICOMweb address 'ftp://x' is not http(s)://HOST[:PORT]/PREFIX",
        "pacs_nodes[3]: must be an object, not a string",
    ]


def test_a_list_that_is_not_a_list_gives_no_nodes_and_one_problem() -> None:
    nodes, problems = load_nodes(Settings(extra={SETTINGS_KEY: {"a": 1}}))
    assert nodes == [] and len(problems) == 1 and "must be a list" in problems[0]
