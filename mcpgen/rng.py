"""Randomness as an explicit parameter (after zfit/phasespace ``get_rng``).

A user seed becomes a :class:`numpy.random.SeedSequence` once, at the top.
Work is split into fixed-size *blocks*; block ``i`` always draws from the
stream ``SeedSequence(seed).spawn`` child ``i`` of a dedicated purpose
sub-sequence, so the events do not depend on how blocks are grouped into
chunks or distributed over workers.
"""

from __future__ import annotations

import numpy as np

#: events per random-number block; the unit of reproducibility.
BLOCK_SIZE = 1 << 16

# purposes get fixed spawn keys so adding one never shifts another's stream
_PURPOSES = {"train": 0, "integrate": 1, "generate": 2, "detector": 3, "bench": 4}


def seed_sequence(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        raise ValueError("a seed is required for reproducible generation")
    return np.random.SeedSequence(int(seed))


def block_rng(seed, purpose: str, block: int) -> np.random.Generator:
    """Generator for block number ``block`` of the given purpose.

    Independent of how many blocks exist or how they are grouped.
    """
    ss = seed_sequence(seed)
    key = (*ss.spawn_key, _PURPOSES[purpose], int(block))
    child = np.random.SeedSequence(ss.entropy, spawn_key=key)
    return np.random.Generator(np.random.PCG64(child))


def block_sizes(n: int, block_size: int = BLOCK_SIZE):
    """Yield (block index, size) covering n events."""
    i = 0
    while n > 0:
        k = min(block_size, n)
        yield i, k
        n -= k
        i += 1
