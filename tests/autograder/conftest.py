"""The sandbox's own tests exercise its weaker modes (basic, bare) on purpose; on this
kit's root CI a child in those modes stays root, which the sandbox refuses unless
told that a throwaway machine grades one hand-in (runtime.UNCONFINED_ROOT). Those test
modules say so; test_sandbox_refusal checks the refusal itself."""

import pytest

from autograder.sandbox.runtime import ALLOW_UNCONFINED_ROOT

WEAK_MODE_MODULES = ("test_sandbox", "test_hostile")


@pytest.fixture(autouse=True, scope="module")
def _weak_modes_allowed_in_sandbox_tests(request):
    """Module scope: module-scoped sandboxes of those tests start before any function fixture."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    with pytest.MonkeyPatch.context() as patch:
        if name.startswith(WEAK_MODE_MODULES) and name != "test_sandbox_refusal":
            patch.setenv(ALLOW_UNCONFINED_ROOT, "1")
        yield
