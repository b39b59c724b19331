"""The local-run fixtures every ``test_*_local.py`` module shares (a pytest plugin, loaded by
conftest.py): the stand-in upstream and the runners on the module's own ``app``.

A module defines ``app`` (what it synthesized: an App, a Stack, a construct, a cloud assembly
directory or a template) and uses ``open_runner`` (a runner per test) or ``open_run`` (a run
of a runner kept open for the module, at a time of its own). It overrides ``local_source``,
``runner_options`` or ``upstream_routes`` where it needs something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from local_helpers import Run, RunnerPool, Upstream, fresh_time, running_upstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """The third party: a loopback server for the module (``script``/``respond`` per test)."""
    with running_upstream() as server:
        yield server


@pytest.fixture(scope="module")
def upstream_routes(upstream: Upstream) -> str | dict[str, str]:
    """Where the runners send outgoing requests: every URL to ``upstream``, or a mapping of
    origins to stand-ins (override in a module)."""
    return upstream.url


@pytest.fixture(scope="module")
def local_source(request: pytest.FixtureRequest) -> Any:
    """What the runners open: the module's ``app`` fixture (override to open something else)."""
    return request.getfixturevalue("app")


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    """Keyword arguments of every ``LocalRunner`` ``open_runner`` opens (e.g. ``secrets``)."""
    return {}


@pytest.fixture
def open_runner(
    local_source: Any, upstream_routes: str | dict[str, str], runner_options: dict[str, Any]
) -> Iterator[Callable[..., Any]]:
    """``open_runner(pattern, **kwargs)``: a ``LocalRunner`` on ``local_source`` (``source=``
    another), closed after the test; ``kwargs`` add to or replace ``runner_options``."""
    from sfn_downloader.local import LocalRunner

    with ExitStack() as exits:

        def open_(pattern: str | None = None, **kwargs: Any) -> Any:
            options = {"upstream": upstream_routes, **runner_options, **kwargs}
            source = options.pop("source", local_source)
            if pattern is not None:
                options["pattern"] = pattern
            return exits.enter_context(LocalRunner(source, **options))

        yield open_


@pytest.fixture(scope="module")
def runners(local_source: Any, upstream_routes: str | dict[str, str]) -> Iterator[RunnerPool]:
    """One open runner per downloader of ``local_source``, for the module (each opens on first
    use: a runner takes seconds to open)."""
    with ExitStack() as exits:
        yield RunnerPool.of(exits, local_source, upstream_routes)


@pytest.fixture
def open_run(runners: RunnerPool) -> Callable[[str, str], Run]:
    """``open_run(stack, name)``: a run of that downloader at a time no other test uses."""
    when = fresh_time()
    return lambda stack, name: Run(runners[f"{stack}/{name}"], when)
