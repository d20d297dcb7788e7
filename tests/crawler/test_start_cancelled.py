"""Stopping the engine while start() waits must end start() quietly (``until_engine_stops``).

Scrapy cancels its start-request processing when the engine stops (SIGTERM, --max-runtime).
The cancellation lands as Twisted's CancelledError at whatever start() awaits, and Scrapy logs
anything raised there as an error and counts a spider exception: a distributed worker stopped by
SIGTERM while a frontier claim was on the writer thread recorded a failed run and exited 1 (CI,
2026-12-07). Driven here as Scrapy's engine drives start(): ``anext`` inside a coroutine wrapped
by ``Deferred.fromCoroutine``, which the engine cancels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from twisted.internet.defer import Deferred

from crawler.feeder import until_engine_stops


def _crawler(running: bool) -> Any:
    return SimpleNamespace(engine=SimpleNamespace(running=running))


def _start(waiting_on: Deferred[None]) -> AsyncIterator[str]:
    async def start() -> AsyncIterator[str]:
        yield "seed"
        await waiting_on  # a frontier claim on the writer thread, say
        yield "claimed"
    return start()


def _next_as_the_engine_reads_it(start: AsyncIterator[str], seen: list[str]) -> Deferred[None]:
    """Scrapy's ``_process_start_next``: the end of start() is normal, any exception an error."""
    async def read() -> None:
        try:
            seen.append(await anext(start))
        except StopAsyncIteration:
            seen.append("ended")
        except Exception as exc:  # noqa: BLE001 - what Scrapy logs as "Error while reading start requests"
            seen.append(f"error: {type(exc).__name__}")
    return Deferred.fromCoroutine(read())


def _waiting_on_a_claim() -> tuple[Any, Deferred[None], Deferred[None], list[str]]:
    """start() read once, and read again while it waits on a claim: (crawler, claim, reading, seen)."""
    crawler = _crawler(running=True)
    claim: Deferred[None] = Deferred()
    start = until_engine_stops(_start(claim), crawler)
    seen: list[str] = []
    _next_as_the_engine_reads_it(start, seen)
    reading = _next_as_the_engine_reads_it(start, seen)
    assert seen == ["seed"]
    return crawler, claim, reading, seen


def test_a_start_cancelled_while_the_engine_stops_just_ends() -> None:
    crawler, _claim, reading, seen = _waiting_on_a_claim()
    crawler.engine.running = False  # ExecutionEngine.stop_async sets this, then cancels
    reading.cancel()
    reading.addErrback(lambda _failure: None)
    assert seen == ["seed", "ended"]


def test_a_cancellation_while_the_engine_runs_is_still_an_error() -> None:
    _crawler_running, claim, reading, seen = _waiting_on_a_claim()
    claim.cancel()  # something other than the engine stopping cancelled the wait
    reading.addErrback(lambda _failure: None)
    assert seen == ["seed", "error: CancelledError"]


def test_requests_pass_through_unchanged() -> None:
    claim: Deferred[None] = Deferred()
    start = until_engine_stops(_start(claim), _crawler(running=True))
    seen: list[str] = []
    _next_as_the_engine_reads_it(start, seen)
    _next_as_the_engine_reads_it(start, seen)
    claim.callback(None)
    _next_as_the_engine_reads_it(start, seen)
    assert seen == ["seed", "claimed", "ended"]
