"""[[reference]] curves and [[plot]] figures of a steering file: loading, errors, round
trip, and that they restyle figures without touching the events."""

import pytest

from mcpgen.errors import ConfigError
from mcpgen.framework.rundir import run_identity
from mcpgen.plot_spec import PlotSpec
from mcpgen.steering import load_steering, reference_markdown, steering_from_dict
from test_steering import GOOD, check_error, write

TWO_SETUPS = GOOD + GOOD.split("[[setup]]")[1].replace('label = "A"', 'label = "B"').join(
    ["\n[[setup]]", ""])

FIGURES = """
[[reference]]
label = "inline"
source = "seed 002 sec. IV"
masses = ["10 MeV", 100]
eps = [1e-4, 5e-4]

[[reference]]
label = "from csv"
source = "a table"
file = "bound.csv"
shaded = true

[[plot]]
name = "fig1"
title = "A and B"
curves = ["A", {setup = "B", color = "red", line = "dashed", label = "B here"}]
references = ["from csv"]
"""

CSV = "# a comment\nm_chi_MeV,eps,eps_max\n10,1e-2,0.5\n1000,2e-2,0.4\n"


def load(tmp_path, text, csv=CSV):
    (tmp_path / "bound.csv").write_text(csv)
    return load_steering(write(tmp_path, text))


def test_references_and_figures_load(tmp_path):
    s = load(tmp_path, TWO_SETUPS + FIGURES)
    inline, table = s.plots.references
    assert inline.masses == (10.0, 100.0) and inline.eps == (1e-4, 5e-4)
    assert inline.eps_max is None and not inline.shaded
    assert table.masses == (10.0, 1000.0) and table.eps_max == (0.5, 0.4) and table.shaded
    (fig,) = s.plots.figures
    assert [c.setup for c in fig.curves] == ["A", "B"]
    assert fig.curves[1].color == "red" and fig.curves[1].line == "dashed"
    assert fig.references == ("from csv",)
    assert PlotSpec.from_dict(s.plots.to_dict()) == s.plots      # JSON of the job metadata
    again = steering_from_dict(s.to_dict(), file="<round trip>")  # CSV values inlined
    assert again.plots == s.plots


def test_figures_do_not_change_the_run_identity(tmp_path):
    plain, styled = load(tmp_path, TWO_SETUPS), load(tmp_path, TWO_SETUPS + FIGURES)
    assert run_identity(plain, seed=1, events=10) == run_identity(styled, seed=1, events=10)


@pytest.mark.parametrize("old, new, key, fragment", [
    ('source = "seed 002 sec. IV"\n', "", "reference[0].source", "missing"),
    ('masses = ["10 MeV", 100]\n', 'file = "bound.csv"\nmasses = [10]\n', "reference[0].file",
     "either"),
    ("eps = [1e-4, 5e-4]", "eps = [1e-4]", "reference[0].eps", "one per mass"),
    ("eps = [1e-4, 5e-4]", "eps = [1e-4, -5e-4]", "reference[0].eps[1]", "> 0"),
    ('file = "bound.csv"', 'file = "nope.csv"', "reference[1].file", "cannot read"),
    ('curves = ["A"', 'curves = ["C"', "plot[0].curves[0].setup", "allowed: A, B"),
    ('line = "dashed"', 'line = "wiggly"', "plot[0].curves[1].line", "dashdot"),
    ('color = "red"', 'color = "no-such-colour"', "plot[0].curves[1].color", "matplotlib"),
    ('references = ["from csv"]', 'references = ["other"]', "plot[0].references[0]", "inline"),
    ('name = "fig1"', 'name = "fig 1"', "plot[0].name", "letters"),
    ('line = "dashed"', 'line = "dashed", channel = "rho"', "plot[0].curves[1].channel",
     "allowed: brem"),
    ("eps = [1e-4, 5e-4]", "eps = [1e-4, 5e-4]\neps_max = [1e-3, 1e-4]", "reference[0].eps_max[1]",
     "not above eps"),
    ('[[plot]]', '[plot]', "plot", "double brackets"),
])
def test_bad_figures(tmp_path, old, new, key, fragment):
    assert old in FIGURES
    path = write(tmp_path, TWO_SETUPS + FIGURES.replace(old, new, 1))
    (tmp_path / "bound.csv").write_text(CSV)
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, key, fragment)


@pytest.mark.parametrize("csv, fragment", [
    ("", "empty"),
    ("mass,eps\n10,1e-3\n", "header"),
    ("m_chi_MeV,eps\n10,abc\n", "row 2"),
    ("m_chi_MeV,eps\n", "no data rows"),
    ("m_chi_MeV,eps,eps_max\n10,1e-2,1e-3\n", "not above eps"),
])
def test_bad_reference_csv(tmp_path, csv, fragment):
    path = write(tmp_path, TWO_SETUPS + FIGURES)
    (tmp_path / "bound.csv").write_text(csv)
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, "reference[1].file", fragment)


def test_readme_table_lists_the_figure_keys():
    text = reference_markdown()
    for key in ("reference.label", "reference.source", "reference.file", "reference.shaded",
                "plot.name", "plot.curves", "plot.curves.line", "plot.references"):
        assert f"`{key}`" in text, key
