"""example-provider: a FastAPI product API that keeps its consumers' Pact contracts.

The package has two parts. The service, what `pip install .` runs and all that it imports (no
pact-python, no Invoke): `main.py`, `app.py`, `routes.py`, `deps.py`, `db.py`, `models.py`,
`migrations/`, `http_json.py`, `hosts.py`, `fields.py`, `api_docs.py`, `server_options.py`, `auth.py`,
`products.py`, `events.py`, `relay.py`, `publishers.py`, `provider_states.py`, `messages.py`,
`verifier_endpoints.py`, `settings.py` and `cli.py`. The pipeline,
`example_provider.pipeline`, what `invoke` runs: verification with pact-python, the Pact Broker
and the deploy rule; its dependencies are the `verify` dependency group.
"""

from __future__ import annotations

__version__ = "0.1.0"
