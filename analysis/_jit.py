"""The house Numba decorators.

Every kernel in the package is compiled with one of these two decorators so that
compilation options are decided in one place:

``cache=True``
    Compiled machine code is written to a cache directory keyed on a hash of
    the package source (``$XDG_CACHE_HOME/kaon-searches/numba/<hash>``, or
    ``$NUMBA_CACHE_DIR`` if set) and reused by later processes; a Snakemake
    job therefore pays the compilation only once per machine and code version.
``error_model="numpy"``
    Division by zero gives ``inf``/``nan`` as in NumPy instead of raising; this
    lets the compiler vectorise loops. Kernels guard the divisions that matter.
``fastmath=False``
    IEEE semantics are kept: results must be bit-identical between runs and
    between the compiled kernel and its ``.py_func``-free reference where the
    tests compare them, and ``nan`` checks must work.
``nogil=True``
    Kernels release the GIL so callers may use threads.
No Numba runtime (NRT) for ``jit`` kernels
    Kernels that allocate no arrays are compiled without the NRT (Numba's
    ``_nrt`` option): their array arguments are then not reference counted.
    With the NRT, every call of a
    helper that takes an array (the random state, the particle table) pays an
    atomic increment and decrement of the array's reference count, which cost
    more than half of the time of the simulation chain, and which threads
    sharing an array contend for.  Scratch arrays are allocated once per block
    by the ``pjit`` kernel that drives the event loop and passed down.

``inline="always"`` on the helpers of the per-decay early decisions
    A call from one compiled function to another is not always inlined by
    LLVM: the random state and the geometry record then cross the call
    through memory, and the generator's chain of dependent draws cannot
    overlap the arithmetic around it.  The helpers that every decay of a
    sample runs before the chain decides whether to generate it (the beam
    kaon, the truncated exponential of its decay point, the channel choice,
    the early K_μ2 deviates and their bound) are therefore inlined by Numba
    itself (``jit(inline="always")``): the K_μ2 chains of NA62 2015 and
    NA62-RK gain 36% and 29% (measured back to back), with identical output
    files.  Applied to every small helper (the decay kinematics, the particle
    table, the generator) it gains another 5–10% on the chains that generate
    every decay but doubles the compilation time (~35 s → ~70 s on a new
    machine), so it is kept to those few.

``jit`` is for scalar helpers and serial, allocation-free kernels
(``jit(allocates=True)`` for a serial kernel that creates arrays); ``pjit``
adds ``parallel=True`` and the NRT for kernels whose outer loop is a
``numba.prange`` over independent blocks.  Each block owns its random stream
(``analysis.rng``), so results never depend on the number of threads.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numba

_PACKAGE = Path(__file__).resolve().parent


def _source_digest() -> str:
    """Hash of every module of the package.

    Numba's on-disk cache is keyed on the timestamp of the file that defines a
    kernel only, not on the kernels it inlines from other modules; a changed
    helper could otherwise be served stale from the cache.  Keying the cache
    directory on the whole package source rules that out.
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


if not os.environ.get("NUMBA_CACHE_DIR"):
    _base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    numba.config.CACHE_DIR = str(_base / "kaon-searches" / "numba" / _source_digest())


def _record_mangling_args(record):
    """Mangle a record type by a hash of its layout instead of its per-process code.

    Numba names a compiled function after its argument types, a record by the
    type code its process happened to assign it (numba/numba#7654).  A kernel
    loaded from the cache carries the names of the process that compiled it:
    if this process has meanwhile compiled the same helper for a different
    record (NA48/2's geometry, say) that got the same code, the loaded kernel
    calls that helper, which reads the fields at the wrong offsets.  A name
    derived from the fields, offsets and size is the same in every process and
    different for different layouts.
    """
    digest = hashlib.sha256(record.name.encode()).digest()
    return type(record).__name__, (int.from_bytes(digest[:7], "little"),)


numba.core.types.Record.mangling_args = property(_record_mangling_args)

# The geometry records of the NA62 2016 (πνν̄) run extend the NA62 record (same
# fields at the same offsets, more after them).  A helper compiled first for the
# NA62 record is then reused for the extended one when called from Python, which
# Numba accepts with an "experimental" warning; the layout makes the reuse exact.
warnings.filterwarnings(
    "ignore",
    message=r".*has been considered a subtype of",
    category=numba.core.errors.NumbaExperimentalFeatureWarning,
)

_OPTIONS = {"cache": True, "error_model": "numpy", "fastmath": False, "nogil": True}


def jit(func=None, *, allocates=False, **extra):
    """Compile ``func`` with the house options (usable bare or with overrides).

    ``allocates=True`` compiles with the Numba runtime, which a kernel that
    creates arrays needs.
    """
    options = {**_OPTIONS, "_nrt": bool(allocates), **extra}
    if func is None:
        return numba.njit(**options)
    return numba.njit(**options)(func)


def pjit(func=None, **extra):
    """Like :func:`jit` with ``parallel=True`` (and the runtime) for ``prange`` loops."""
    return jit(func, parallel=True, allocates=True, **extra)
