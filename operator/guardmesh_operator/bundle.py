"""Compile a namespace's SecurityGuards and Policies into the bundle set its sidecars read.

One ConfigMap per namespace holds every Policy's guards with its pod selector; each sidecar picks the
entries that select its own labels (see guardmesh.config.bundle_set). Pure: specs in, text and hash out.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from guardmesh.config.baseline import Baseline, Reporting
from guardmesh.config.bundle_set import BundleSet, BundleSetEntry
from guardmesh.config.models import Bundle, BundleGuard, GuardRef, PolicySpec, SecurityGuardSpec


@dataclass(frozen=True)
class Compiled:
    """The namespace's bundle set, its text for the ConfigMap and that text's hash."""

    bundle_set: BundleSet
    text: str
    hash: str
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per Policy, the guards it references that do not exist (or are invalid); they are left out."""


def effective(guard: SecurityGuardSpec, ref: GuardRef, policy: PolicySpec) -> SecurityGuardSpec:
    """A guard as one Policy runs it: the reference's overrides first, then the Policy's default enforcement."""
    overrides = ref.overrides
    update: dict[str, object] = {}
    enforcement = overrides.enforcement_action or policy.enforcement_action
    if enforcement is not None:
        update["enforcement_action"] = enforcement
    if overrides.priority is not None:
        update["priority"] = overrides.priority
    if overrides.failure_mode is not None:
        update["failure_mode"] = overrides.failure_mode
    return guard.model_copy(update=update)


def compile_namespace(
    guards: Mapping[str, SecurityGuardSpec],
    policies: Mapping[str, PolicySpec],
    baselines: Mapping[str, Baseline] | None = None,
    reporting: Reporting | None = None,
) -> Compiled:
    """Entries in Policy name order, each with the guards it references that exist; the ToolBaselines by
    server id, and where sidecars report what they see (only when there is a baseline to report for)."""
    entries = []
    missing: dict[str, tuple[str, ...]] = {}
    for name in sorted(policies):
        policy = policies[name]
        absent = tuple(ref.name for ref in policy.guards if ref.name not in guards)
        if absent:
            missing[name] = absent
        bundle_guards = tuple(
            BundleGuard(name=ref.name, spec=effective(guards[ref.name], ref, policy))
            for ref in policy.guards
            if ref.name in guards
        )
        bundle = Bundle(
            guards=bundle_guards,
            trusted_servers=policy.trusted_servers,
            authentication=policy.authentication,
            authorization=policy.authorization,
        )
        entries.append(BundleSetEntry(policy=name, pod_selector=policy.pod_selector, bundle=bundle))
    baselines = dict(sorted((baselines or {}).items()))
    bundle_set = BundleSet(entries=tuple(entries), baselines=baselines, reporting=reporting if baselines else None)
    text = render(bundle_set)
    return Compiled(bundle_set, text, content_hash(text), missing)


def render(bundle_set: BundleSet) -> str:
    """The document the sidecar loads: YAML, camelCase, explicit values, stable order."""
    data = bundle_set.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Baselines live at the top only; namespaces without ToolBaselines keep the bundle they had.
    for entry in data.get("entries", []):
        entry["bundle"].pop("baselines", None)
    if not data.get("baselines"):
        data.pop("baselines", None)
    header = "# Compiled by the GuardMesh operator from this namespace's SecurityGuards and Policies.\n"
    return header + yaml.safe_dump(data, sort_keys=False, width=120)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
