"""Production channels, one module per process family, each implementing
:class:`mcpgen.framework.process.Process` and registered in
:mod:`mcpgen.framework.registry`:

``lepton_nucleus``  l N -> l N gamma*(-> chi chibar) ("brem") and l N -> l N A'
                    ("darkphoton"): WW, IWW and exact tree level.
"""
