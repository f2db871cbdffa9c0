"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_helpers import snapshot_code


@pytest.fixture(scope="session")
def code_root(tmp_path_factory) -> Path:
    """One snapshot of the ``analysis`` package for every workflow run of the session."""
    return snapshot_code(tmp_path_factory.mktemp("code"))
