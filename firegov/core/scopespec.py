"""How a model is scoped to a user's jurisdiction (read by firegov.core.scoping.scope)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeSpec:
    region_field: str
    sector_field: str | None = None
    manager_field: str | None = None
