"""A cross-process lock on a file (fcntl.flock), re-entrant within one process.

Used wherever two PaperRAG processes on one machine could write the same files at once: the embedded Chroma
store, the lexical index, the ONNX export. flock locks are released by the kernel when a process dies, so a
crashed writer never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Iterator

from rag.errors import StoreError


class FileLock:
    """Use `FileLock.for_path`: one object per path and process, so nested use by two parts of one process
    re-enters instead of waiting for itself."""

    _registry: dict[Path, "FileLock"] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def for_path(cls, path: Path, *, timeout: float = 120.0, what: str = "the index") -> "FileLock":
        key = Path(path).resolve()
        with cls._registry_lock:
            lock = cls._registry.get(key)
            if lock is None:
                lock = cls._registry[key] = cls(key, timeout=timeout, what=what)
            return lock

    def __init__(self, path: Path, *, timeout: float = 120.0, what: str = "the index"):
        self.path = Path(path)
        self.timeout = timeout
        self.what = what
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        self._thread_lock.acquire()
        if self._depth:
            self._depth += 1
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise StoreError(
                            f"another PaperRAG process has been writing {self.what} for over {self.timeout:.0f} s "
                            f"(lock {self.path}); wait for it to finish and try again."
                        ) from None
                    time.sleep(0.05)
        except BaseException:
            self._thread_lock.release()
            raise
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()

    def __enter__(self) -> "FileLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SharedExclusive:
    """A lock many threads share and one can hold alone, for a resource every thread uses and one must sometimes
    replace: embedded Chroma's process-wide client cache, which a reopen clears (`clear_system_cache` stops every
    client; a query running on one of them failed with "'RustBindingsAPI' object has no attribute 'bindings'").

    Sharing is re-entrant per thread. Holding alone waits until no *other* thread shares, so a thread that shares
    can still ask for it alone (a question whose refresh reopens the client); new sharers wait while someone is
    waiting to hold it alone, so a reopen is not starved by a stream of questions. `exclusive(timeout)` yields False
    when it could not be had in time: the caller goes on without it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sharers = 0
        self._owner: int | None = None
        self._waiting = 0
        self._mine = threading.local()

    def _held(self) -> int:
        return getattr(self._mine, "n", 0)

    def acquire_shared(self) -> None:
        me, held = threading.get_ident(), self._held()
        with self._cond:
            if not held:
                self._cond.wait_for(lambda: self._owner in (None, me) and (not self._waiting or self._owner == me))
            self._sharers += 1
        self._mine.n = held + 1

    def release_shared(self) -> None:
        self._mine.n = self._held() - 1
        with self._cond:
            self._sharers -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()

    def exclusive(self, timeout: float) -> "_Exclusive":
        return _Exclusive(self, timeout)


class _Exclusive:
    def __init__(self, lock: SharedExclusive, timeout: float):
        self.lock, self.timeout, self.got, self.previous = lock, timeout, False, None

    def __enter__(self) -> bool:
        lock, me, mine = self.lock, threading.get_ident(), self.lock._held()
        with lock._cond:
            lock._waiting += 1
            try:
                self.got = lock._cond.wait_for(
                    lambda: lock._owner in (None, me) and lock._sharers - mine == 0, self.timeout
                )
            finally:
                lock._waiting -= 1
                lock._cond.notify_all()
            if self.got:
                self.previous, lock._owner = lock._owner, me
        return self.got

    def __exit__(self, *exc: object) -> None:
        if self.got:
            with self.lock._cond:
                self.lock._owner = self.previous
                self.lock._cond.notify_all()
