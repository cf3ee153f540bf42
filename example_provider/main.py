"""`app`: the service as its settings say, for any ASGI server.

`uvicorn example_provider.main:app` (or gunicorn with uvicorn workers) serves exactly what
`example-provider` serves: the same settings, from the environment and `.env`.
"""

from __future__ import annotations

import logging

from example_provider.app import app_from_settings
from example_provider.settings import ServerSettings, SettingsError, load_settings

try:
    settings = load_settings(ServerSettings)
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")
    app = app_from_settings(settings)
except SettingsError as error:
    message = f"example-provider: {error}"
    raise SystemExit(message) from None
