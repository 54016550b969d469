"""The shared machinery of mcpgen: the interfaces between the layers and the job engine.

Data flow (CONVENTIONS.md): steering -> source + process -> events -> detector ->
ROOT file -> yields -> limits.  Each layer is a small interface, registered by
name so that steering files, the CLI and the API dispatch without if-chains:

``process``  :class:`~mcpgen.framework.process.Process` -- a production channel
             (particles, columns, mass limit, integrate, block-wise events).
``source``   :class:`~mcpgen.framework.source.Source` -- where parents come from
             and the *exposure* that turns weights into expected counts.
``detector`` :class:`~mcpgen.framework.detector.DetectorModule` -- a card schema,
             ``apply(batch, rng)`` and an efficiency model in eps.
``registry`` the name -> implementation tables (lazy: importing them loads nothing).
``jobs``     one (set-up, channel, mass) job: stream blocks through process,
             detector and writer, accumulating the yield sums where events are made.
``rundir``   the output folder: lock, resume, debris removal.
``scheduler`` runs jobs in-process or on dask.distributed.
"""
