"""Webhook configurations pointing the real API server at the operator on loopback (the chart owns the real ones)."""

from __future__ import annotations

import base64
from typing import Any

INJECT = "guardmesh.dev/inject"
SYSTEM = {
    "key": "kubernetes.io/metadata.name",
    "operator": "NotIn",
    "values": ["kube-system", "kube-public", "kube-node-lease"],
}
POD_RULES = [
    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"], "scope": "Namespaced"}
]


def _client(base: str, path: str, ca: bytes) -> dict[str, str]:
    return {"url": f"{base}{path}", "caBundle": base64.b64encode(ca).decode()}


def mutating(name: str, base: str, ca: bytes) -> dict[str, Any]:
    """Three ways in: the label (objectSelector), the annotation (matchConditions), the namespace label."""
    common: dict[str, Any] = {
        "admissionReviewVersions": ["v1"],
        "sideEffects": "NoneOnDryRun",
        "failurePolicy": "Fail",
        "timeoutSeconds": 5,
        # Nothing after the injector needs it to run again; injection is idempotent, so IfNeeded would be safe too.
        "reinvocationPolicy": "Never",
        "rules": POD_RULES,
    }
    annotated = (
        f"has(object.metadata.annotations) && '{INJECT}' in object.metadata.annotations"
        f" && object.metadata.annotations['{INJECT}'] == 'true'"
    )
    webhooks = [
        {
            **common,
            "name": "label.inject.guardmesh.dev",
            "clientConfig": _client(base, "/mutate/pods", ca),
            "objectSelector": {"matchLabels": {INJECT: "enabled"}},
            "namespaceSelector": {"matchExpressions": [SYSTEM]},
        },
        {
            **common,
            "name": "annotation.inject.guardmesh.dev",
            "clientConfig": _client(base, "/mutate/pods", ca),
            "objectSelector": {"matchExpressions": [{"key": INJECT, "operator": "DoesNotExist"}]},
            "namespaceSelector": {"matchExpressions": [SYSTEM]},
            "matchConditions": [{"name": "annotated", "expression": annotated}],
        },
        {
            **common,
            "name": "namespace.inject.guardmesh.dev",
            "clientConfig": _client(base, "/mutate/pods/namespace", ca),
            "objectSelector": {"matchExpressions": [{"key": INJECT, "operator": "NotIn", "values": ["disabled"]}]},
            "namespaceSelector": {"matchLabels": {"guardmesh.dev/injection": "enabled"}},
        },
        {
            # Approvals in ToolBaselines are stamped with the requesting user (and invalid specs refused).
            "name": "toolbaselines.mutate.guardmesh.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 5,
            "clientConfig": _client(base, "/mutate/toolbaselines", ca),
            "rules": [
                {
                    "apiGroups": ["guardmesh.dev"],
                    "apiVersions": ["v1alpha1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["toolbaselines"],
                    "scope": "Namespaced",
                }
            ],
        },
    ]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": webhooks,
    }


def validating(name: str, base: str, ca: bytes) -> dict[str, Any]:
    webhooks = [
        {
            "name": f"{plural}.validate.guardmesh.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 5,
            "clientConfig": _client(base, f"/validate/{plural}", ca),
            "rules": [
                {
                    "apiGroups": ["guardmesh.dev"],
                    "apiVersions": ["v1alpha1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": [plural],
                    "scope": "Namespaced",
                }
            ],
        }
        for plural in ("securityguards", "policies")
    ]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": webhooks,
    }
