"""A namespace's bundle set: every Policy's guards with its pod selector; each sidecar picks its own.

The operator writes one GuardBundleSet per namespace; the sidecar reads its pod's labels from a
downward-API file and enforces the entries whose selector matches them, so policies can change after
pods start and pod creation never waits for a per-pod bundle.
"""

import json
from collections.abc import Mapping
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from guardmesh.config.base import Spec
from guardmesh.config.baseline import Baseline, Reporting
from guardmesh.config.identity import AccessRule, Authorization
from guardmesh.config.loader import ConfigError, parse_bundle
from guardmesh.config.models import API_VERSION, Bundle, BundleGuard, LabelSelector, TrustedServer


class BundleSetEntry(Spec):
    """One Policy, compiled: the pods it selects and the bundle they enforce."""

    policy: str
    """Name of the Policy."""
    pod_selector: LabelSelector = LabelSelector()
    """Pods the entry applies to, by their labels."""
    bundle: Bundle
    """The guards of the Policy, with its overrides applied."""


class BundleSet(Spec):
    """Every Policy of a namespace, compiled; the document the operator writes into the bundle ConfigMap."""

    api_version: Literal["guardmesh.dev/v1alpha1"] = API_VERSION
    kind: Literal["GuardBundleSet"] = "GuardBundleSet"
    entries: tuple[BundleSetEntry, ...] = ()
    """Entries in Policy name order; a pod enforces every entry that selects it."""
    baselines: dict[str, Baseline] = Field(default_factory=dict)
    """The namespace's ToolBaselines by server id (`NAMESPACE/WORKLOAD`); each pod enforces its server's."""
    reporting: Reporting | None = None
    """Where sidecars report the tool definitions they see (the operator's endpoint)."""

    def select(self, labels: Mapping[str, str]) -> Bundle:
        """The bundle of a pod with these labels: the guards of every matching entry, the first entry
        (by Policy name) winning when two define a guard of the same name."""
        shared = {"baselines": self.baselines, "reporting": self.reporting}
        matching = [entry.bundle for entry in self.entries if entry.pod_selector.matches(labels)]
        if not matching:
            return Bundle().model_copy(update=shared)
        guards: dict[str, BundleGuard] = {}
        servers: dict[str, TrustedServer] = {}
        for bundle in matching:
            for guard in bundle.guards:
                guards.setdefault(guard.name, guard)
            for server in bundle.trusted_servers:
                servers.setdefault(server.name, server)
        first = matching[0]
        # Authentication: the first entry that sets it. Authorization: every entry's grants, since each Policy's
        # rules say what some callers may do; an entry without rules grants nothing beyond the others'.
        authentication = next((b.authentication for b in matching if b.authentication is not None), None)
        grants = [b.authorization for b in matching if b.authorization is not None]
        authorization = None
        if grants:
            rules: dict[str, AccessRule] = {}
            for grant in grants:
                for rule in grant.rules:
                    rules.setdefault(rule.name, rule)  # as with guards, the first Policy's rule of a name wins
            authorization = Authorization(rules=tuple(rules.values()))
        return first.model_copy(
            update={
                "guards": tuple(guards.values()),
                "trusted_servers": tuple(servers.values()),
                "authentication": authentication,
                "authorization": authorization,
                **shared,
            }
        )


def parse_pod_labels(text: str | bytes, source: str = "<labels>") -> dict[str, str]:
    """Labels from a downward-API file: one `key="value"` per line, the value quoted as Go's %q does."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    labels: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, quoted = line.partition("=")
        try:
            value = json.loads(quoted) if sep else None
        except ValueError:
            value = None
        if not isinstance(value, str) or not key:
            raise ConfigError(f'{source}:{number}: expected key="value", got {line[:80]!r}')
        labels[key] = value
    return labels


def parse_config(text: str | bytes, source: str = "<bundle>", labels: Mapping[str, str] | None = None) -> Bundle:
    """A GuardBundle as it is, or the bundle a GuardBundleSet selects for a pod with `labels`."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a bundle is a mapping, got {type(data).__name__}")
    if data.get("kind") != "GuardBundleSet":
        return parse_bundle(text, source)  # the one loader of plain bundles
    try:
        bundle_set = BundleSet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}") from None
    if labels is None:
        raise ConfigError(f"{source}: a GuardBundleSet needs the pod's labels (--pod-labels)")
    return bundle_set.select(labels)
