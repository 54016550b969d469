"""Awkward/vector view of mcpgen events: EventBatch.to_awkward and read_events(library="ak")."""

import numpy as np
import pytest

from mcpgen.errors import ConfigError
from mcpgen.io.record import EventBatch
from mcpgen.io.root import read_events

ak = pytest.importorskip("awkward")
vector = pytest.importorskip("vector")

NAMES = ("brem", "photoproduction", "ee", "meson_vector", "meson_pseudoscalar")
#: the parent chain of chi, by record: labels from chi up to a root
CHI_ANCESTRY = {"brem": ["gamma*", ("l", "N")], "photoproduction": ["V", ("gamma_brem", "N")],
                "ee": ["gamma*", ("e-", "e+")], "meson_vector": ["V", ()],
                "meson_pseudoscalar": ["gamma*", ("P",)]}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from test_export import make_files

    return make_files(tmp_path_factory.mktemp("awkward"), NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_vector_quantities_agree_with_numpy(files, name):
    arr, meta = read_events(files[name], library="ak")
    batch, _ = read_events(files[name])
    assert len(arr) == len(batch)
    p = arr.particles
    assert ak.all(ak.num(p) == len(batch.names))
    # independent numpy formulas: m^2 = E^2 - p^2, pt = hypot(px, py), eta = asinh(pz/pt)
    # (vector gives -sqrt(-m^2) for the rounding-level spacelike massless photons)
    m2 = batch.E**2 - batch.px**2 - batch.py**2 - batch.pz**2
    m_np = np.sign(m2) * np.sqrt(np.abs(m2))
    pt_np = np.hypot(batch.px, batch.py)
    # E^2 - p^2 cancels: for a (nearly) massless particle the mass is known only to
    # sqrt(4 ulp E^2) ~ 3e-8 E in doubles, whichever code computes it
    diff = np.abs(ak.to_numpy(p.mass) - m_np)
    assert np.all(diff <= 1e-9 * np.abs(m_np) + 3e-8 * batch.E)
    np.testing.assert_allclose(ak.to_numpy(p.pt), pt_np, rtol=1e-14, atol=0)
    ok = pt_np > 0
    np.testing.assert_allclose(ak.to_numpy(p.eta)[ok], np.arcsinh(batch.pz[ok] / pt_np[ok]),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ak.to_numpy(p.gen_mass), batch.mass)
    np.testing.assert_array_equal(ak.to_numpy(p.pdgid), batch.pdgid)
    np.testing.assert_array_equal(ak.to_numpy(p.status), batch.status)
    np.testing.assert_array_equal(ak.to_numpy(arr.weight), batch.weight)
    np.testing.assert_array_equal(ak.to_numpy(arr.vertex.z), batch.vz)
    np.testing.assert_array_equal(ak.to_numpy(arr.det_pass), batch.det_pass)
    for c, v in batch.columns.items():
        np.testing.assert_array_equal(ak.to_numpy(arr[c]), v)


@pytest.mark.parametrize("name", NAMES)
def test_walk_the_chain_from_chi(files, name):
    arr, _ = read_events(files[name], library="ak")
    batch, _ = read_events(files[name])
    names = batch.names
    ev = arr[0]
    chi = names.index("chi")
    (parent,) = ev.particles[chi].parents.tolist()
    assert names[parent] == CHI_ANCESTRY[name][0]
    assert ev.particles[parent].status == 2          # a decayed intermediate
    grand = ev.particles[parent].parents.tolist()
    assert tuple(names[g] for g in grand) == CHI_ANCESTRY[name][1]
    assert sorted(ev.particles[parent].children.tolist()) == [chi, names.index("chibar")]
    for g in grand:                                  # the roots: no parents
        if names[g] != "gamma_brem":
            assert ev.particles[g].parents.tolist() == []
    # every child lists its parent back
    for i in range(len(names)):
        for c in ev.particles[i].children.tolist():
            assert i in ev.particles[c].parents.tolist()


@pytest.mark.parametrize("name", NAMES)
def test_pair_mass_equals_parent_mass(files, name):
    """m(chi + chibar) from vector equals the parent's mass: the virtual photon's mass
    (written by the generator) or the meson's line-shape mass."""
    arr, _ = read_events(files[name], library="ak")
    names = read_events(files[name], entry_stop=1)[0].names
    p = arr.particles
    pair = p[:, names.index("chi")] + p[:, names.index("chibar")]
    parent = p[:, names.index(CHI_ANCESTRY[name][0])]
    # the decay kernels conserve four-momentum to rounding: 1e-9 relative
    np.testing.assert_allclose(ak.to_numpy(pair.mass), ak.to_numpy(parent.gen_mass), rtol=1e-9)
    np.testing.assert_allclose(ak.to_numpy(pair.mass), ak.to_numpy(parent.mass), rtol=1e-7)


def test_collections_and_fixed_arrays(files):
    arr, _ = read_events(files["ee"], library="ak")
    batch, _ = read_events(files["ee"])
    for name, (off, fields) in batch.collections.items():
        np.testing.assert_array_equal(ak.to_numpy(ak.num(arr[name])), np.diff(off))
        for f, a in fields.items():
            np.testing.assert_array_equal(ak.to_numpy(ak.flatten(arr[name][f])), a)
    assert "det_eff_table" in batch.columns
    assert ak.to_numpy(arr.det_eff_table).shape == batch.det_eff_table.shape


def test_with_name_and_register(files):
    """The README recipe: vector.register_awkward() + ak.with_name works on the particles
    (no E/mass clash: the generator mass is stored as gen_mass)."""
    vector.register_awkward()
    arr, _ = read_events(files["brem"], library="ak")
    plain = ak.Array(ak.to_list(arr.particles[:3]))
    p4 = ak.with_name(plain, "Momentum4D")
    assert ak.all(abs(p4.mass - arr.particles[:3].mass) <= 1e-9 * arr.particles[:3].E)


def test_numpy_default_and_bad_library(files):
    batch, _ = read_events(files["ee"])
    assert isinstance(batch, EventBatch)
    with pytest.raises(ConfigError, match="unknown library 'pandas'; allowed: np, ak"):
        read_events(files["ee"], library="pandas")


def test_chi_pdgid_in_awkward(files):
    batch, _ = read_events(files["ee"])
    arr = batch.to_awkward(chi_pdgid=3000011)
    got = ak.to_numpy(arr.particles.pdgid)
    assert set(np.unique(got[:, batch.index("chi")])) == {3000011}
    assert set(np.unique(got[:, batch.index("chibar")])) == {-3000011}
