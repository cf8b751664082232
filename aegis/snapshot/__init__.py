"""The ``aegismatrix.json`` contract (pydantic, JSON Schema) and its atomic writer."""

from aegis.snapshot.adapters import hit_rate_block, spike_rate_block
from aegis.snapshot.blocks import (
    Breach,
    BreachCalibration,
    BuyerSignal,
    Direction,
    Expiry,
    ExpiryStress,
    HitRate,
    SafeRange,
    SpikeRate,
    Trap,
)
from aegis.snapshot.context import ChainContext, IntradayContext, MarketContext
from aegis.snapshot.contract import (
    NULLABLE_FIELDS,
    PUBLISHED_FIELDS,
    SCHEMA_VERSION,
    ScalarProvenance,
    Snapshot,
    now_utc,
)
from aegis.snapshot.provenance import (
    BaselineProvenance,
    Calibration,
    DateWindow,
    DegradedReason,
    EmpiricalProvenance,
    FormulaProvenance,
    ModelProvenance,
)
from aegis.snapshot.writer import read_snapshot, render_snapshot, write_snapshot

__all__ = [
    "NULLABLE_FIELDS",
    "PUBLISHED_FIELDS",
    "SCHEMA_VERSION",
    "BaselineProvenance",
    "Breach",
    "BreachCalibration",
    "BuyerSignal",
    "Calibration",
    "ChainContext",
    "DateWindow",
    "DegradedReason",
    "Direction",
    "EmpiricalProvenance",
    "Expiry",
    "ExpiryStress",
    "FormulaProvenance",
    "HitRate",
    "IntradayContext",
    "MarketContext",
    "ModelProvenance",
    "SafeRange",
    "ScalarProvenance",
    "Snapshot",
    "SpikeRate",
    "Trap",
    "hit_rate_block",
    "now_utc",
    "read_snapshot",
    "render_snapshot",
    "spike_rate_block",
    "write_snapshot",
]
