"""The [output] steering section and the toolchain commands (issue 9): exports,
distribution plots and HEPData written by `mcpgen run`, a rerun into a folder holding
them, and the one-line errors of `mcpgen export / plot / hepdata`."""

import pyhepmc
import pytest

from _framework_cases import STEERING
from mcpgen.cli import main
from mcpgen.errors import ConfigError
from mcpgen.steering import load_steering
from test_steering import check_error, write

OUTPUT = """
[output]
distributions = [10]
export = ["hepmc3"]
chi_pdgid = 17
hepdata = true
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import mcpgen

    folder = tmp_path_factory.mktemp("output")
    path = write(folder, STEERING.replace("events = 2000", "events = 300") + OUTPUT)
    res = mcpgen.run(path, folder / "out", workers=1, progress=False)
    return path, res


def test_run_writes_what_output_asks_for(run_dir):
    _, res = run_dir
    out = res.out
    assert sorted(p.name for p in (out / "distributions").iterdir()) == [
        "NA64mu_m10MeV.pdf", "NA64mu_m10MeV.png"]            # only the mass asked for
    assert (out / "hepdata" / "submission.tar.gz").is_file()
    for f in res.files:
        hep = f.with_suffix(".hepmc3")
        with pyhepmc.open(hep) as reader:
            ids = {p.pid for event in reader for p in event.particles}
        assert {17, -17} <= ids and 9000011 not in ids       # the chi id of [output]


def test_rerun_into_a_folder_with_the_outputs(run_dir):
    """The exports, distributions/ and hepdata/ are outputs of the run: a rerun reuses
    the jobs instead of refusing the folder."""
    import mcpgen

    path, first = run_dir
    again = mcpgen.run(path, first.out, workers=1, progress=False)
    assert again.reused == len(first.files)


@pytest.mark.parametrize("text, key, fragment", [
    ("distributions = [5]", "output.distributions[0]", "not among the study's masses"),
    ('distributions = "yes"', "output.distributions", "true, false or"),
    ('export = ["root"]', "output.export", "hepmc3"),
    ("chi_pdgid = 0", "output.chi_pdgid", "1 <= chi_pdgid"),
    ("hepdata = 1", "output.hepdata", "true or false"),
    ('export = ["hepmc3"]\nchi_pdgid = 11', "output.chi_pdgid", "e-"),
    ("plots = true", "output.plots", "allowed"),
])
def test_bad_output(tmp_path, text, key, fragment):
    path = write(tmp_path, STEERING + "\n[output]\n" + text + "\n")
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, key, fragment)


def test_toolchain_commands(run_dir, tmp_path, capsys):
    _, res = run_dir
    root = str(res.files[0])
    assert main(["export", root, "--format", "lhe", "--out", str(tmp_path / "a.lhe")]) == 0
    assert (tmp_path / "a.lhe").stat().st_size > 0
    assert main(["export", root, "--format", "lhe", "--out", str(tmp_path / "a.lhe")]) == 2
    assert main(["plot", root, "--out", str(tmp_path / "plots"), "--format", "png"]) == 0
    assert main(["hepdata", str(res.out), "--out", str(tmp_path / "hd")]) == 0
    capsys.readouterr()
    for argv in (["export", str(tmp_path / "none.root"), "--format", "hepmc3"],
                 ["plot", str(tmp_path / "none.root")],
                 ["plot", root, "--format", "jpg", "--out", str(tmp_path / "never")],
                 ["hepdata", str(tmp_path / "nothing")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("mcpgen: error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "never").exists()
