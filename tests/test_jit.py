"""The house decorators: no reference counting without the runtime, stable record names."""

from __future__ import annotations

import subprocess
import sys

import numba
import numpy as np
import pytest

from analysis._jit import jit


def _helper(a, i):
    return a[i] * 2.0


@pytest.mark.parametrize("allocates", [False, True])
def test_array_arguments_are_reference_counted_only_with_the_runtime(allocates):
    helper = jit(_helper, cache=False, allocates=allocates)

    def kernel(a):
        total = 0.0
        for i in range(a.shape[0]):
            total += helper(a, i)
        return total

    compiled = jit(kernel, cache=False, allocates=allocates)
    assert compiled(np.arange(4.0)) == 12.0
    ir = compiled.inspect_llvm(compiled.signatures[0]) + helper.inspect_llvm(helper.signatures[0])
    assert ("NRT_incref" in ir) == allocates


def test_a_kernel_that_creates_arrays_needs_allocates():
    def scratch(n):
        return np.zeros(n).sum()

    assert jit(scratch, cache=False, allocates=True)(3) == 0.0
    with pytest.raises(numba.TypingError, match="No implementation of function.*zeros"):
        jit(scratch, cache=False)(3)


_MANGLE = """
import sys
import numpy as np
from numba import typeof
from numba.core.itanium_mangler import mangle_type_or_value
import analysis._jit

for n in range(int(sys.argv[1])):  # other record types first: they take the early type codes
    typeof(np.recarray(1, dtype=[(f"other{k}", np.float64) for k in range(n + 1)])[0])
for fields in (["a", "b"], ["a", "c"]):
    print(mangle_type_or_value(typeof(np.recarray(1, dtype=[(f, np.float64) for f in fields])[0])))
"""


def _record_names(n_before):
    process = subprocess.run(
        [sys.executable, "-c", _MANGLE, str(n_before)], capture_output=True, text=True, check=True
    )
    return process.stdout.split()


def test_record_types_are_mangled_alike_in_every_process():
    """A cached kernel calls helpers by name: a record's name must not depend on the process.

    Numba's own name for a record is its per-process type code, so a kernel loaded
    from the cache could call a helper compiled in this process for another layout.
    """
    first, second = _record_names(0), _record_names(5)
    assert first == second
    assert first[0] != first[1]
