"""Group commit for the channels' work in other threads (recording updates, finishing them,
handing messages to the database thread).

Each write is one small transaction, or one hand-over between threads; under load most of its
cost is that, not the items. `GroupCommit` runs at most one batch at a time: what is submitted
while a batch is being written waits and goes in the next one, all together. Alone, a
submission is written at once (no timer, no added latency); under load, batches grow by
themselves.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """`write(items) -> results` (one result per item, in order) runs in `executor`."""

    def __init__(self, write: Callable[[list[T]], Sequence[R]], executor: Executor):
        self.write = write
        self.executor = executor
        self._queue: list[tuple[T, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    results = await loop.run_in_executor(
                        self.executor, self.write, [item for item, _ in batch]
                    )
                    if len(results) != len(batch):
                        raise RuntimeError("a batch write returned the wrong number of results")
                except BaseException as exc:  # noqa: BLE001 - every waiter learns of it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._writer = None
            for _, future in self._queue:  # cancelled while others waited
                if not future.done():
                    future.cancel()
            self._queue = []
