"""The one JIT policy of mcpgen (after numba-stats ``_util._jit``).

Every Numba kernel in the package is decorated with :func:`jit`.  Kernels are
compiled lazily on first call and cached on disk (``cache=True``), so importing
mcpgen compiles nothing.  ``error_model="numpy"`` makes division by zero give
inf/nan instead of raising, as in NumPy.  fastmath stays off: the sampler's
weights feed unbiased estimators and we have not measured it safe.

Setting ``NUMBA_DISABLE_JIT=1`` turns every kernel into plain Python (slow, but
debuggable); the code paths are identical.
"""

import numba

_OPTIONS = dict(cache=True, error_model="numpy", fastmath=False)


def jit(*signature, **overrides):
    """Decorate a kernel with the package JIT policy.

    Use as ``@jit`` or ``@jit(...)`` with extra numba options.
    """
    if len(signature) == 1 and callable(signature[0]) and not overrides:
        return numba.njit(**_OPTIONS)(signature[0])
    options = {**_OPTIONS, **overrides}
    return numba.njit(*signature, **options)
