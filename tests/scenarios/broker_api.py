"""What a user sees in a Pact Broker, read through its public HTTP API.

The pipeline scenarios assert only through this, the way a user checks with `pact broker
describe-version`, the matrix or the broker's UI, so the same assertions hold against the broker
double and against a real broker.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

Json = dict[str, Any]


@dataclass(frozen=True)
class VerificationResult:
    """One row of the matrix: a provider version's latest result for one consumer version."""

    consumer: str
    consumer_version: str
    provider_version: str
    success: bool
    url: str


class BrokerApi:
    """GETs against the broker at `base_url` with the `headers` (credentials) the tests use."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/hal+json", **headers}

    def get(self, path_or_url: str) -> Json | None:
        """The JSON document at a path (or a full URL the broker gave); None for a 404."""
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        request = urllib.request.Request(url, headers=self._headers)  # noqa: S310 - the broker under test
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                document: Json = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise
        return document

    def branches(self, pacticipant: str, version: str) -> list[str]:
        """The branches a pacticipant version is on ([] when the broker does not know the version)."""
        document = self.get(f"/pacticipants/{_q(pacticipant)}/versions/{_q(version)}") or {}
        return [branch["name"] for branch in document.get("_embedded", {}).get("branchVersions", [])]

    def verification_results(self, provider: str) -> list[VerificationResult]:
        """Every provider version's latest result per consumer version, from the matrix."""
        if self.get(f"/pacticipants/{_q(provider)}") is None:
            return []
        query = urlencode({"q[][pacticipant]": provider, "latestby": "cvpv"})
        document = self.get(f"/matrix?{query}") or {}
        return [
            VerificationResult(
                row["consumer"]["name"],
                row["consumer"]["version"]["number"],
                row["provider"]["version"]["number"],
                row["verificationResult"]["success"],
                row["verificationResult"]["_links"]["self"]["href"],
            )
            for row in document.get("matrix", [])
            if row.get("verificationResult")
        ]

    def build_url(self, result: VerificationResult) -> str | None:
        """The CI build a verification result links to."""
        document = self.get(result.url) or {}
        return document.get("buildUrl")

    def environments(self) -> list[str]:
        document = self.get("/environments") or {}
        return [environment["name"] for environment in document.get("_embedded", {}).get("environments", [])]

    def currently_deployed(self, pacticipant: str, environment: str) -> list[str]:
        """The versions of `pacticipant` the broker has as currently deployed to `environment`."""
        listed = (self.get("/environments") or {}).get("_embedded", {}).get("environments", [])
        uuids = [item["uuid"] for item in listed if item["name"] == environment]
        if not uuids:
            return []
        query = urlencode({"pacticipant": pacticipant})
        document = self.get(f"/environments/{uuids[0]}/deployed-versions/currently-deployed?{query}") or {}
        return [
            deployed["_embedded"]["version"]["number"]
            for deployed in document.get("_embedded", {}).get("deployedVersions", [])
            if deployed["_embedded"]["pacticipant"]["name"] == pacticipant
        ]

    def webhooks(self, provider: str) -> list[Json]:
        """The webhooks of a provider, as the broker shows them (secret headers redacted)."""
        listed = self.get(f"/webhooks/provider/{_q(provider)}") or {}
        return [self.get(link["href"]) or {} for link in listed.get("_links", {}).get("pb:webhooks", [])]


def _q(value: str) -> str:
    return quote(value, safe="")
