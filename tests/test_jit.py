"""The house decorators: allocation-free kernels pass arrays without reference counting."""

from __future__ import annotations

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
