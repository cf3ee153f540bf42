"""example-provider: a FastAPI product API that keeps its consumers' Pact contracts.

The production code here knows nothing about Pact: contract verification lives in
``tests/contract`` and the pipeline in ``tasks.py``.
"""

from __future__ import annotations

__version__ = "0.1.0"
