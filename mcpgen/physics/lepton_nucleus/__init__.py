"""Lepton-nucleus emission: l N -> l N gamma*(-> chi chibar) and l N -> l N V.

``ww``                WW / IWW cross sections (seed 001 eqs. 8-10; physics-notes sec. 1)
``brem_xsec``         reference sigma of seed 001 eq. (10) by quadrature, eq. (11)
``etl_amplitude``     exact tree-level helicity amplitudes (seed 002 sec. III)
``etl_bethe_heitler`` Bethe-Heitler 3BN spectrum, the ETL validation limit
Shared pieces live one level up: form factors and flux (``formfactors``), the pair
factor (``pair``), Dirac algebra (``dirac``), kinematics (``kinematics``) and the
beam degradation in a target (``beam_degradation``).
"""
