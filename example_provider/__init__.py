"""example-provider: a FastAPI product API that keeps its consumers' Pact contracts.

The installed package holds the API, its settings and provider states, the verification plan
(`verification.py`: which pacts a run verifies) and the pipeline's `pact broker` commands
(`pipeline.py`, `webhook.py`, `broker.py`). It imports no pact-python: `tests/contract` and
`tasks.py` run the verifier.
"""

from __future__ import annotations

__version__ = "0.1.0"
