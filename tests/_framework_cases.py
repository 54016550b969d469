"""Shared cases of the framework tests (test_framework.py, test_runs.py): a muon source,
small brem settings and a two-mass steering file."""

from hepunits import cm

from mcpgen.processes.lepton_nucleus import LeptonNucleusSettings
from mcpgen.sources.lepton_beam import LeptonBeamSource
from mcpgen.sources.materials import get_material

#: the NA64mu set-up of seed 002 sec. II.B as a [[setup]] body (label left to the caller)
NA64MU_SETUP = """\
beam = "mu-"
energy = "160 GeV"
leptons_on_target = 1e14
target = "Pb"
thickness = "22.5 cm"
detector = "na64mu"
"""
#: the LDMX set-up of seed 002 (8 GeV electrons, 2e16 EOT, 0.4 X0 Al) as a [[setup]] body
LDMX_SETUP = """\
label = "LDMX"
beam = "e-"
energy = "8 GeV"
leptons_on_target = 2e16
target = "Al"
thickness = "0.4 X0"
detector = "ldmx"
"""
E0 = 160e3  # MeV
SETTINGS = LeptonNucleusSettings(method="etl", x_min=0.5, train_events=2000, train_iterations=2)
PRECISION = 0.01

STEERING = """\
[run]
name = "fw"
seed = 7
events = 2000
train_events = 2000
train_iterations = 2
precision = 0.01

[physics]
masses = [10, "0.1 GeV"]

[[setup]]
label = "NA64mu"
""" + NA64MU_SETUP
FILES = ("NA64mu_m100MeV.root", "NA64mu_m10MeV.root")
SUMMARY = ("limits.csv", "provenance.json", "reach.pdf", "reach.png", "yields.csv")
#: metadata that records wall-clock timing, the only thing two runs of a job may differ in
TIMING = ("setup_seconds", "cpu_seconds")


def muon_source(**kw):
    args = dict(beam="mu-", energy=E0, leptons_on_target=1e14, target="Pb",
                material=get_material("Pb"), thickness=22.5 * cm)
    args.update(kw)
    return LeptonBeamSource(**args)


def write_steering(folder, text=STEERING):
    path = folder / "fw.toml"
    path.write_text(text)
    return path
