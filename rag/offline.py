"""Keep onnxruntime from phoning home.

onnxruntime's official wheels (1.32 here) carry Microsoft's 1DS telemetry client, on by default: once an
InferenceSession exists, its uploader looks up mobile.events.data.microsoft.com (A and AAAA) about 8.7 s later and
every 5.5-8 s after that, for as long as the process lives, and it keeps a device id and an event database under
$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime. Measured with `strace -f -e trace=connect,sendto` (2026-12-02):
a bare `Embedder` embedding three texts, then sleeping 30 s, made 6 connects to port 53 with `onnx` and 6 with
`onnx-int8` (0 with `torch`, which never loads onnxruntime); `paperrag ingest` of the bundled listing (ONNX export
included) sent 6 DNS queries with `onnx`, 4 with `onnx-int8`; `paperrag serve` answering a question and then serving
20 s, 4 with either. `paperrag ask` ends before the first lookup but had written the device id and database.

What stops it, measured the same way (connects to port 53 by the bare `onnx` Embedder in 30 s):
  ORT_DISABLE_TELEMETRY=1 set before onnxruntime is imported         0, and no device id or database is written
  the same variable set after `import onnxruntime`                    6 (it is read once, when the library loads)
  onnxruntime.disable_telemetry_events() before the first session     6 (it mutes events; the lookups go on)
SessionOptions and the session config keys have no telemetry switch. So `rag.embeddings`, the only module that
imports onnxruntime, calls `disable_onnxruntime_telemetry()` when it is imported, which comes before any onnxruntime
import in `paperrag` and in `rag`; `tests/reliability/test_egress.py` checks every command and backend under strace.
"""

from __future__ import annotations

import logging
import os
import sys

_checked = False


def disable_onnxruntime_telemetry() -> None:
    """Set ORT_DISABLE_TELEMETRY=1 (overriding any other value: PaperRAG sends nothing anywhere). It only works
    before onnxruntime is loaded; if some other code loaded it first, say once how to fix that."""
    global _checked
    already = os.environ.get("ORT_DISABLE_TELEMETRY") == "1"
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    if not _checked and not already and "onnxruntime" in sys.modules:
        logging.getLogger("rag").warning(
            "onnxruntime was imported before PaperRAG could switch its telemetry off; set ORT_DISABLE_TELEMETRY=1 in "
            "the environment (or import rag.embeddings before onnxruntime) to keep it from contacting Microsoft."
        )
    _checked = True
