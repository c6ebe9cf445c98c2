"""The types the batch computations pass around: a connection to the engine they run on, and what it holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Backend = Any
"""An Ibis backend connection (Ibis ships no type information)."""

Tables = Mapping[str, tuple[str, ...] | None]
"""Tables by name, with the columns wanted (None: every column)."""
