"""The text a product is made of: what the API accepts is what it can store and serve back.

A string from JSON may hold a lone surrogate (`"\\udfff"`), which no UTF-8 response can carry,
or a NUL, which PostgreSQL text cannot store. Both are refused when a model is built, whoever
builds it; NUL is refused by a pattern, so the OpenAPI document says so too.
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
#: A product id: a path segment (`/products/{id}` must reach it), so one character at least and no `/`.
ProductId = Annotated[str, Field(pattern=r"^[^/\x00]+$"), AfterValidator(_encodable)]
