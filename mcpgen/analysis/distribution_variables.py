"""The variables of the distribution plots (:mod:`mcpgen.analysis.distributions`): per
process family its natural quantities, computed from an event batch, with axis text,
unit and binning that depend on the metadata only (so that chunks and jobs add up)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

#: energy axes reaching this (MeV) are drawn in GeV
GEV_ABOVE = 1e4
#: process families (module of the registered Process class) -> family name
FAMILIES = {"lepton_nucleus": "lepton-nucleus", "meson_decay": "meson", "ee_annihilation": "ee"}


@dataclass(frozen=True)
class Variable:
    """One histogrammed quantity: key, axis text, unit, binning (log: log-spaced edges)."""

    name: str
    symbol: str      #: as written in d(sigma)/d(symbol), e.g. "E_χ"
    text: str        #: axis label without unit, e.g. "E_χ (χ energy)"
    unit: str        #: "" for dimensionless
    lo: float
    hi: float
    bins: int
    log: bool = False

    @property
    def label(self) -> str:
        return f"{self.text} [{self.unit}]" if self.unit else self.text


def _log_var(name, symbol, text, unit, lo, hi, per_decade=10):
    """A log-binned Variable from lo to hi, ``per_decade`` bins per decade (at least 10)."""
    n = max(10, int(math.ceil(per_decade * math.log10(hi / lo))))
    return Variable(name, symbol, text, unit, lo, hi, n, log=True)


def _decade_below(v):
    return 10.0 ** math.floor(math.log10(v))


# -- kinematics -------------------------------------------------------------------------

def _p4(batch, label):
    """(n, 4) four-momenta (E, px, py, pz) of the particle slot ``label``."""
    j = batch.index(label)
    return np.stack([batch.E[:, j], batch.px[:, j], batch.py[:, j], batch.pz[:, j]], axis=1)


def _theta(p):
    return np.arctan2(np.hypot(p[:, 1], p[:, 2]), p[:, 3])


def _mass(p):
    return np.sqrt(np.maximum(p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(axis=1), 0.0))


def _cos(a, b):
    """Cosine of the angle between the three-vectors (rows) a and b."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _rest(p, frame):
    """Three-momenta of ``p`` in the rest frame of ``frame`` (pure boost from the lab,
    as the generator's decays: :func:`mcpgen.processes.meson_decay._boost_to_rest`)."""
    from ..processes.meson_decay import _boost_to_rest

    with np.errstate(invalid="ignore", divide="ignore"):
        return _boost_to_rest(p, frame)


def _meta_mass(meta):
    for key in ("mass_MeV", "m_chi_MeV", "m_Aprime_MeV"):
        if meta.get(key) is not None:
            return float(meta[key])
    raise KeyError("mass_MeV")


# -- the variables of each family -------------------------------------------------------

def family(meta, *, file=None) -> str:
    """Process family of a file's metadata: "lepton-nucleus", "meson" or "ee"."""
    from ..framework.registry import PROCESSES

    name = meta.get("process")
    if name not in PROCESSES:
        raise ConfigError(f"metadata process {name!r} has no distributions; allowed: "
                          f"{', '.join(PROCESSES.names())}", file=file, key="process")
    # the module that defines the class or its base (meson channels are made by type())
    modules = [c.__module__.rsplit(".", 1)[-1] for c in PROCESSES.get(name).__mro__]
    return FAMILIES[next(m for m in modules if m in FAMILIES)]


def _lepton_nucleus(batch, meta):
    from ..constants import LEPTONS

    E0 = float(meta["beam_energy_MeV"])
    m = _meta_mass(meta)
    names = batch.names
    pair = "chi" in names
    ml = LEPTONS.get(meta.get("beam"), (0, 0.0))[1]   # metadata, not events: chunks bin alike
    E_beam = np.asarray(batch.E_beam) if "E_beam" in batch.columns else np.full(len(batch), E0)
    inv = _p4(batch, "chi") + _p4(batch, "chibar") if pair else _p4(batch, "V")
    one = _p4(batch, "chi") if pair else inv
    sym, pname = ("χ", "χχ̄") if pair else ("A′", "A′")
    theta_c = max(m, ml, 1e-3) / E0
    out = [(Variable("x", "x", f"x = E_{pname} / E_beam", "", 0.0, 1.0, 50),
            inv[:, 0] / E_beam),
           (Variable("E_chi", f"E_{sym}", f"E_{sym}", "MeV", 0.0, E0, 50), one[:, 0]),
           (_log_var("theta_chi", f"log₁₀ θ_{sym}", f"θ_{sym}", "rad",
                     _decade_below(theta_c) * 1e-1, math.pi), _theta(one))]
    if "l'" in names:
        out.append((Variable("E_recoil", "E_ℓ′", "E_ℓ′ (recoil lepton)", "MeV", 0.0, E0, 50),
                    batch.E[:, batch.index("l'")]))
    if "det_E_rec" in batch.columns:
        out.append((Variable("det_E_rec", "E_rec", "E_rec (reconstructed recoil)", "MeV",
                             0.0, E0, 50), np.asarray(batch.det_E_rec)))
    if pair:
        out.append((_log_var("m_pair", "log₁₀ m_χχ̄", "m_χχ̄ (pair mass)", "MeV", 2.0 * m, E0,
                             per_decade=15), _mass(inv)))
    if "N" in names and "N'" in names:
        d = _p4(batch, "N'") - _p4(batch, "N")
        q_min = (2.0 * m if pair else m) ** 2 / (2.0 * E0)
        q = np.sqrt(np.maximum((d[:, 1:] ** 2).sum(axis=1) - d[:, 0] ** 2, 0.0))
        out.append((_log_var("Q", "log₁₀ Q", "Q = √(−t) (to the nucleus)", "MeV",
                             _decade_below(q_min), E0), q))
    return out


def _meson(batch, meta):
    m = _meta_mass(meta)
    names = batch.names
    mp = meta.get("meson_pdg", {})
    m_meson = float(mp.get("meson_mass_MeV", 1000.0))
    vector = "V" in names
    par = _p4(batch, "V" if vector else "P")
    chi = _p4(batch, "chi")
    photo = "l'" in names
    if "beam_energy_MeV" in meta:
        E_top = float(meta["beam_energy_MeV"])
    else:
        E_top = 1000.0 * float((meta.get("spectrum_header") or {}).get("beam_energy_GeV", 0) or 0)
        E_top = E_top if E_top > m_meson else 1000.0 * m_meson
    theta_lo = _decade_below(m_meson / E_top) * 1e-2
    if photo:
        energy = [Variable("E_chi", "E_χ", "E_χ", "MeV", 0.0, E_top, 50),
                  Variable("E_meson", "E_V", "E_V (meson)", "MeV", 0.0, E_top, 50)]
    else:
        energy = [_log_var("E_chi", "log₁₀ E_χ", "E_χ", "MeV", _decade_below(m), E_top),
                  _log_var("E_meson", "log₁₀ E_meson", "E (meson)", "MeV",
                           _decade_below(m_meson), E_top)]
    if vector:
        # SCHC axis of photoproduced V (minus the recoil in the V frame), else the V direction
        axis = -_rest(_p4(batch, "N'"), par) if photo else par[:, 1:]
        cos_star = _cos(_rest(chi, par), axis)
        star = Variable("cos_theta_star", "cos θ*", "cos θ* (χ in V frame, to the "
                        + ("SCHC axis)" if photo else "V direction)"), "", -1.0, 1.0, 20)
    else:
        gstar, gam = _p4(batch, "gamma*"), _p4(batch, "gamma")
        cos_star = _cos(_rest(chi, gstar), _rest(gam, gstar))
        star = Variable("cos_theta_star", "cos θ*", "cos θ* (χ in γ* frame, to the γ)", "",
                        -1.0, 1.0, 20)
    out = [(energy[0], chi[:, 0]),
           (_log_var("theta_chi", "log₁₀ θ_χ", "θ_χ", "rad", theta_lo, math.pi), _theta(chi)),
           (energy[1], par[:, 0]),
           (_log_var("theta_meson", "log₁₀ θ_meson", "θ (meson)", "rad", theta_lo, math.pi),
            _theta(par)),
           (star, cos_star)]
    if not vector:
        out.append((Variable("m_pair", "m_χχ̄", "m_χχ̄ = √q² (pair mass)", "MeV", 2.0 * m,
                             m_meson, 40), _mass(_p4(batch, "gamma*"))))
    if photo:
        out.append((Variable("E_recoil", "E_ℓ′", "E_ℓ′ (recoil lepton)", "MeV", 0.0, E_top, 50),
                    batch.E[:, batch.index("l'")]))
    if "det_E_rec" in batch.columns:
        out.append((Variable("det_E_rec", "E_rec", "E_rec (reconstructed recoil)", "MeV",
                             0.0, E_top, 50), np.asarray(batch.det_E_rec)))
    return out


def _tracker_length(meta):
    """Longest straight path in the tracker gas (mm), from the card in the metadata."""
    from ..units import parse_quantity

    card = ((meta.get("detector") or {}).get("card") or {}).get("tracker") or {}
    try:
        R = parse_quantity(card["radius"], "length", default_unit="mm")
        L = parse_quantity(card["length"], "length", default_unit="mm")
        return math.hypot(R, 0.5 * L)
    except (KeyError, TypeError, ValueError):
        return 2000.0


def _ee(batch, meta):
    m = _meta_mass(meta)
    rs = float(meta["sqrt_s_MeV"])
    spread = float(meta.get("energy_spread_MeV") or 0.0)
    chi = _p4(batch, "chi")
    p = np.sqrt((chi[:, 1:] ** 2).sum(axis=1))
    out = [(Variable("cos_theta_chi", "cos θ_χ", "cos θ_χ (to the e⁻ beam)", "", -1.0, 1.0, 20),
            chi[:, 3] / p),
           (_log_var("beta_chi", "log₁₀ β_χ", "β_χ (χ velocity)", "", 1e-4, 1.0), p / chi[:, 0])]
    if "gamma_isr" in batch.names:
        out.append((_log_var("E_isr", "log₁₀ E_γ", "E_γ (ISR photon)", "MeV", 1e-6, 0.5 * rs,
                             per_decade=5), batch.E[:, batch.index("gamma_isr")]))
    if "sqrt_s_pair" in batch.columns:
        hi = rs + 5.0 * spread + 1e-3 * max(rs - 2.0 * m, 1.0)
        out.append((Variable("sqrt_s_pair", "√s′", "√s′ (χχ̄ mass)", "MeV", 2.0 * m, hi, 50),
                    np.asarray(batch.sqrt_s_pair)))
    cols = batch.columns
    if "det_T_gas_chi" in cols:
        out.append((_log_var("det_T_gas_chi", "log₁₀ T_χ", "T_χ entering the gas", "MeV", 1e-5,
                             0.5 * rs, per_decade=5), np.asarray(cols["det_T_gas_chi"])))
    signature = (((meta.get("detector") or {}).get("card") or {}).get("tracker") or {}).get(
        "signature")
    if "det_ion_len_chi" in cols and signature != "delta":
        out.append((Variable("det_ion_len_chi", "L_ion", "L_ion of χ (dE/dx ≥ I_min)", "mm",
                             0.0, _tracker_length(meta), 40), np.asarray(cols["det_ion_len_chi"])))
    if "det_mu_chi" in cols and signature != "ionisation":
        out.append((_log_var("det_mu_chi", "log₁₀ μ_δ", "μ_δ of χ (expected δ electrons)", "",
                             1e-3, 1e4, per_decade=5), np.asarray(cols["det_mu_chi"])))
    return out


_VARIABLES = {"lepton-nucleus": _lepton_nucleus, "meson": _meson, "ee": _ee}


def variables(batch, meta) -> list:
    """[(Variable, per-event values)] of the family of ``meta`` (module docstring).
    Energies are in MeV, or in GeV where the range reaches 10 GeV (readable ticks)."""
    out = []
    for var, values in _VARIABLES[family(meta)](batch, meta):
        if var.unit == "MeV" and var.hi >= GEV_ABOVE:
            var = dataclasses.replace(var, unit="GeV", lo=var.lo / 1e3, hi=var.hi / 1e3)
            values = np.asarray(values) / 1e3
        out.append((var, values))
    return out


__all__ = ["Variable", "variables", "family", "FAMILIES"]
