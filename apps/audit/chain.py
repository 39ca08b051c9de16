"""The hash chain over audit events: how a row's hash is computed and checked.

hash(row) = SHA-256 of the canonical JSON of the row's fields plus the
previous row's hash. Changing any field of any row, or removing a row, breaks
the link from that row onwards, which `verify_chain` reports.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "occurred_at", "actor_id", "actor_username", "action", "target_type", "target_id",
    "patient_ref", "ip", "user_agent", "details",
)


def canonical_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return None


def canonical_details(details: Any) -> dict[str, Any]:
    """Details as they will read back from a JSON column (strings for anything
    JSON can't hold), so the hash covers exactly what is stored."""
    return json.loads(json.dumps(details or {}, default=str, sort_keys=True))


def compute_hash(fields: dict[str, Any], prev_hash: str) -> str:
    occurred_at: datetime = fields["occurred_at"]
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["occurred_at"] = occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload["ip"] = canonical_ip(payload["ip"])
    payload["prev_hash"] = prev_hash
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None  # id of the first row whose link fails
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(rows: Iterable[dict[str, Any]]) -> ChainReport:
    """Walk rows in id order; report the first one whose link is broken."""
    expected_prev = GENESIS_HASH
    checked = 0
    for row in rows:
        if row["prev_hash"] != expected_prev:
            return ChainReport(checked, row["id"],
                               "its prev_hash does not match the previous row's hash "
                               "(a row before it was removed or altered)")
        recomputed = compute_hash(row, row["prev_hash"])
        if recomputed != row["hash"]:
            return ChainReport(checked, row["id"],
                               "its content does not match its hash (the row was altered)")
        expected_prev = row["hash"]
        checked += 1
    return ChainReport(checked)
