import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sim_helpers, sim_implementations, under any import mode

from sim_helpers import write_release


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    """A student release folder: regions hold only `raise NotImplementedError` (tests only read it)."""
    return write_release(tmp_path_factory.mktemp("release"))
