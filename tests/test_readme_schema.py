"""The README's steering table is generated from the declarations (issue 6, item 7)."""

from pathlib import Path

from mcpgen.steering import reference_markdown


def test_readme_table_is_the_generated_one():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert reference_markdown() in readme


def test_readme_card_table_is_the_generated_one():
    from mcpgen.detectors.spectrometer import card_reference

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert card_reference() in readme


def test_readme_scatter_card_table_is_the_generated_one():
    from mcpgen.detectors.scatter import card_reference

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert card_reference() in readme


def test_readme_tracker_card_table_is_the_generated_one():
    from mcpgen.detectors.tracker import card_reference

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert card_reference() in readme
