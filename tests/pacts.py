"""The provider names the tests verify under: the names the pacts carry, never the PACTICIPANT default.

So a team renames the provider in one line (the default in example_provider/pipeline/settings.py)
and the suite stays green: the bundled and fixture pacts are still verified as what they name.
"""

from __future__ import annotations

import json
from pathlib import Path

from example_provider.pipeline.plan import BUNDLED_PACTS

FIXTURE_PACTS = Path(__file__).parent / "contract" / "pacts"


def provider_named_in(directory: Path) -> str:
    """The provider the pacts in `directory` are for (they all name one)."""
    names = {json.loads(path.read_text(encoding="utf-8"))["provider"]["name"] for path in directory.glob("*.json")}
    [name] = names
    return str(name)


#: The provider the bundled pacts (pacts/) are for.
BUNDLED_PROVIDER = provider_named_in(BUNDLED_PACTS)
#: The provider the fixture pacts in tests/contract/pacts/broken/ (and most good ones) are for.
FIXTURE_PROVIDER = provider_named_in(FIXTURE_PACTS / "broken")
#: What the pact-js consumers call this API (the fixture pacts good/handwritten-js-consumer-*.json).
JS_PROVIDER = "pactflow-example-provider"
