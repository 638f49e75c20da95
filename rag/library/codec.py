"""Sentence vectors packed into a compact string, so Chroma can keep them as record metadata.

Each vector is stored as int8 with its own scale (float16 max |x| / 127), base64-encoded: 386 bytes instead of
1,536 for a 384-dim float32 vector. For unit vectors the rounding error of a dot product is about 0.001, far
below anything the evidence scores distinguish (measured in tests/rag/library/test_codec.py).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def pack(vectors: "np.ndarray") -> str:
    import numpy as np

    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError("pack expects a 2-D array of vectors")
    scale = np.maximum(np.abs(v).max(axis=1), 1e-12) / 127.0
    q = np.round(v / scale[:, None]).astype(np.int8)
    rows = np.empty((len(v), 2 + v.shape[1]), dtype=np.uint8)
    rows[:, :2] = scale.astype(np.float16).view(np.uint8).reshape(len(v), 2)
    rows[:, 2:] = q.view(np.uint8)
    return base64.b64encode(rows.tobytes()).decode("ascii")


def unpack(payload: str, dimension: int) -> "np.ndarray":
    import numpy as np

    raw = np.frombuffer(base64.b64decode(payload), dtype=np.uint8)
    if raw.size % (dimension + 2):
        raise ValueError("sentence vector payload does not match the dimension")
    rows = raw.reshape(-1, dimension + 2)
    scale = rows[:, :2].copy().view(np.float16).astype(np.float32).reshape(-1)
    vectors = rows[:, 2:].copy().view(np.int8).astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
