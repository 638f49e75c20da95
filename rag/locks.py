"""A cross-process lock on a file (fcntl.flock), re-entrant within one process.

Used wherever two PaperRAG processes on one machine could write the same files at once: the embedded Chroma
store, the lexical index, the ONNX export. flock locks are released by the kernel when a process dies, so a
crashed writer never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

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
