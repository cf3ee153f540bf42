"""The text a product is made of: what the API accepts is what it can store and serve back.

A string from JSON may hold a lone surrogate (`"\\udfff"`), which no UTF-8 response can carry,
or a NUL, which PostgreSQL text cannot store. Both are refused when a model is built, whoever
builds it; NUL is refused by a pattern, so the OpenAPI document says so too.

An id goes into URLs as it is (`/products/{id}`, `Location`), so it is made of the characters
a URL path carries unencoded, and is short: `%`, `/`, `?` or a name of dots would reach
another resource, or none, depending on the client.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        msg = "the text holds a lone surrogate, which is not Unicode text"
        raise ValueError(msg) from None
    return value


Text = Annotated[str, Field(pattern=r"^[^\x00]*$"), AfterValidator(_encodable)]
#: 1 to 100 of A-Z, a-z, 0-9, `-`, `_`, `.`, `~`, not starting with a dot.
ProductId = Annotated[str, Field(max_length=100, pattern=r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")]
