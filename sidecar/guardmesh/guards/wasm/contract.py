"""Names and shapes of the `guardmesh:guard` contract (guards/wit/guard.wit) that the host serves."""

from typing import Final

PACKAGE: Final = "guardmesh:guard"
VERSION: Final = "0.1.0"
GUARD_EXPORT: Final = f"{PACKAGE}/guard@{VERSION}"
HOST_IMPORT: Final = f"{PACKAGE}/host@{VERSION}"
TYPES_IMPORT: Final = f"{PACKAGE}/types@{VERSION}"

CONTEXT_FIELDS: Final = (
    "server-id",
    "session-id",
    "protocol-version",
    "phase",
    "direction",
    "method",
    "target",
)
"""Fields of `record context`, in WIT order."""
VERDICT_CASES: Final = ("allow", "deny", "modify")
DENIAL_FIELDS: Final = ("code", "message")
LOG_LEVELS: Final = ("debug", "info", "warn", "error")
