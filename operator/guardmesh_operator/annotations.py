"""Per-pod annotations of the injector, validated; a bad one is refused with a message naming it."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from guardmesh_operator.api import (
    LOG_LEVEL,
    PATH,
    PORT,
    SIDECAR_CPU,
    SIDECAR_CPU_LIMIT,
    SIDECAR_MEMORY,
    SIDECAR_MEMORY_LIMIT,
)

# An IANA service name, as Kubernetes requires of container port names: at most 15 characters of
# lowercase letters, digits and inner single hyphens, with at least one letter.
_PORT_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,255}$")
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>[munkMGTPE]|[KMGTPE]i|[eE][-+]?[0-9]+)?$")
_SCALE = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "u": Decimal("0.000001"),
    "n": Decimal("0.000000001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
LOG_LEVELS = ("debug", "info", "warning", "error")


class BadAnnotations(ValueError):
    """One or more annotations the injector cannot use; each problem names its annotation."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PodOptions:
    """What a pod's annotations ask of its sidecar; None means the injector's default."""

    port: int | str | None = None
    """The MCP server's container port, by number or name; None: the port named `mcp`."""
    path: str = "/mcp"
    log_level: str | None = None
    cpu: str | None = None
    memory: str | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None


def quantity(text: str) -> Decimal | None:
    """A Kubernetes resource quantity as a number, or None when it is not one."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    suffix = match["suffix"] or ""
    try:
        number = Decimal(match["number"])
        if suffix[:1] in ("e", "E"):
            return number * Decimal(10) ** int(suffix[1:])
        return number * _SCALE[suffix]
    except (InvalidOperation, KeyError):
        return None


def pod_options(annotations: Mapping[str, str]) -> PodOptions:
    """Read and check every annotation of ours; raises BadAnnotations listing each bad one."""
    problems: list[str] = []
    port: int | str | None = None
    if (raw := annotations.get(PORT)) is not None:
        if raw.isdigit() and 1 <= int(raw) <= 65535:
            port = int(raw)
        elif _PORT_NAME.match(raw):
            port = raw
        else:
            problems.append(f'{PORT}: "{raw}" is neither a port number (1-65535) nor a container port name')
    path = annotations.get(PATH, "/mcp")
    if not _PATH.match(path):
        problems.append(f'{PATH}: "{path}" is not an absolute URL path (it starts with / and has no spaces or ?#)')
    log_level = annotations.get(LOG_LEVEL)
    if log_level is not None and log_level not in LOG_LEVELS:
        problems.append(f'{LOG_LEVEL}: "{log_level}" is not one of {", ".join(LOG_LEVELS)}')
    values: dict[str, Decimal] = {}
    for key in (SIDECAR_CPU, SIDECAR_MEMORY, SIDECAR_CPU_LIMIT, SIDECAR_MEMORY_LIMIT):
        if (raw := annotations.get(key)) is None:
            continue
        amount = quantity(raw)
        if amount is None or amount <= 0:
            problems.append(f'{key}: "{raw}" is not a positive Kubernetes quantity (e.g. 100m, 1, 128Mi)')
        else:
            values[key] = amount
    for request, limit in ((SIDECAR_CPU, SIDECAR_CPU_LIMIT), (SIDECAR_MEMORY, SIDECAR_MEMORY_LIMIT)):
        if request in values and limit in values and values[request] > values[limit]:
            problems.append(f"{request}: {annotations[request]} is more than {limit} {annotations[limit]}")
    if problems:
        raise BadAnnotations(problems)
    return PodOptions(
        port=port,
        path=path,
        log_level=log_level,
        cpu=annotations.get(SIDECAR_CPU),
        memory=annotations.get(SIDECAR_MEMORY),
        cpu_limit=annotations.get(SIDECAR_CPU_LIMIT),
        memory_limit=annotations.get(SIDECAR_MEMORY_LIMIT),
    )
