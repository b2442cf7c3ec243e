"""Fixtures of the search tests."""

import pytest

from moonml.search import workers as search_workers


@pytest.fixture
def forkserver_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search's workers forked from a warm forkserver, as `python -m moonml` starts them."""
    monkeypatch.setitem(search_workers._started, "forkserver", False)  # restored afterwards
    # pytest's console script, the main module here, guards its code: workers may import it.
    monkeypatch.setattr(search_workers, "_main_is_not_reimported", lambda: True)
    search_workers.start_early()
