"""Status of SecurityGuards and Policies: conditions with reasons, counts of selected and injected pods. Pure."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from guardmesh.config.models import LabelSelector
from guardmesh_operator.api import STATUS, BaselineStatus, Condition, GuardStatus, PolicyStatus

Truth = Literal["True", "False", "Unknown"]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(
    previous: Sequence[Mapping[str, Any]], type_: str, status: Truth, reason: str, message: str, generation: int
) -> Condition:
    """A condition whose transition time moves only when its status changes."""
    before = next((c for c in previous if c.get("type") == type_), None)
    since = before.get("lastTransitionTime") if before and before.get("status") == status else None
    return Condition(
        type=type_,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since or now(),
        observed_generation=generation,
    )


def guard_status(
    previous: Sequence[Mapping[str, Any]], generation: int, problem: str | None, policies: int, bundle_written: bool
) -> GuardStatus:
    if problem is not None:
        accepted = condition(previous, "Accepted", "False", "InvalidSpec", problem, generation)
        ready = condition(previous, "Ready", "False", "InvalidSpec", "the guard is not in any bundle", generation)
        message = problem
    else:
        accepted = condition(previous, "Accepted", "True", "Valid", "the spec is valid", generation)
        if not bundle_written:
            ready = condition(
                previous, "Ready", "False", "BundleNotWritten", "the namespace bundle is not written yet", generation
            )
        elif policies:
            ready = condition(previous, "Ready", "True", "InBundle", f"in force for {policies} Policies", generation)
        else:
            ready = condition(
                previous, "Ready", "True", "Unreferenced", "valid; no Policy references it yet", generation
            )
        message = ready.message
    return GuardStatus(observed_generation=generation, conditions=(accepted, ready), message=message, policies=policies)


def policy_status(
    previous: Sequence[Mapping[str, Any]],
    generation: int,
    problem: str | None,
    missing: Sequence[str],
    counts: tuple[int, int],
    bundle_hash: str,
) -> PolicyStatus:
    selected, injected = counts
    if problem is not None:
        accepted = condition(previous, "Accepted", "False", "InvalidSpec", problem, generation)
        ready = condition(previous, "Ready", "False", "InvalidSpec", "the policy is not in the bundle", generation)
    elif missing:
        text = f"missing or invalid SecurityGuards: {', '.join(missing)}"
        accepted = condition(previous, "Accepted", "True", "Valid", "the spec is valid", generation)
        ready = condition(previous, "Ready", "False", "GuardsMissing", text, generation)
    else:
        accepted = condition(previous, "Accepted", "True", "Valid", "the spec is valid", generation)
        text = f"in bundle {bundle_hash}; {injected} of {selected} selected pods carry the sidecar"
        ready = condition(previous, "Ready", "True", "InBundle", text, generation)
    return PolicyStatus(
        observed_generation=generation,
        conditions=(accepted, ready),
        message=ready.message if problem is None else problem,
        selected_pods=selected,
        injected_pods=injected,
        bundle_hash=bundle_hash,
    )


def pod_counts(selector: LabelSelector, pods: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(selected, injected): live pods the selector matches, and those among them carrying the sidecar."""
    selected = injected = 0
    for pod in pods:
        meta = pod.get("metadata", {})
        if meta.get("deletionTimestamp") or not selector.matches(meta.get("labels") or {}):
            continue
        selected += 1
        injected += STATUS in (meta.get("annotations") or {})
    return selected, injected


def as_patch(status: GuardStatus | PolicyStatus | BaselineStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)
