"""example-provider: a FastAPI product API that keeps its consumers' Pact contracts.

The installed package holds the API, its settings and provider states, the verification plan
(`verification.py`: which pacts a run verifies) and the pipeline's `pact broker` commands
(`pipeline.py`). It imports no pact-python: the verifier is run by `tests/contract` and `tasks.py`.
"""

from __future__ import annotations

__version__ = "0.1.0"
