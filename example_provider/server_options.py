"""The uvicorn options the server runs with, whoever starts it: `example-provider`, the tests, or uvicorn.

uvicorn's default HTTP parser (httptools) reads request headers of any size into memory; h11
refuses a request whose headers exceed `h11_max_incomplete_event_size` with a 400 and closes the
connection, having read at most that much plus one socket read. The API serves no websockets: uvicorn
loads no websocket library and answers an upgrade request as plain HTTP (logging that it cannot upgrade).
From the command line:
`uvicorn example_provider.main:app --http h11 --h11-max-incomplete-event-size 16384 --ws none`.
"""

from __future__ import annotations

from typing import Final

HTTP_PARSER: Final = "h11"
MAX_HEADER_BYTES: Final = 16 * 1024
WEBSOCKETS: Final = "none"
