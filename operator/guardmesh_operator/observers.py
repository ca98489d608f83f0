"""Who may report tool definitions for a workload, pure: a sidecar of that workload, proven by its pod's token.

Each injected sidecar holds a projected service-account token with the audience `guardmesh.dev/observer`,
mounted into the sidecar container alone (the MCP server in the same pod never sees it). The operator has
the API server review it (TokenReview), which says which service account and which pod the token was
issued to; a report is accepted only for the workload that pod belongs to. A token stolen from one
workload can therefore only misreport that workload's tools, and approves nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from guardmesh_operator.api import OBSERVER_AUDIENCE, WORKLOAD
from guardmesh_operator.baselines import Report

POD_NAME = "authentication.kubernetes.io/pod-name"
POD_UID = "authentication.kubernetes.io/pod-uid"
_ACCOUNT = "system:serviceaccount:"


class Refused(Exception):
    """A report that is not accepted: `status` is the HTTP status to answer with, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reporter:
    """The pod a token was issued to."""

    namespace: str
    service_account: str
    pod: str
    pod_uid: str


def reporter(review: Mapping[str, Any]) -> Reporter:
    """The pod behind a reviewed token; Refused (401) unless it is a pod-bound service-account token for us."""
    if not review.get("authenticated"):
        raise Refused(401, f"the token was not accepted: {review.get('error') or 'not authenticated'}")
    if OBSERVER_AUDIENCE not in (review.get("audiences") or []):
        raise Refused(401, f"the token is not for the audience {OBSERVER_AUDIENCE}")
    user = review.get("user") or {}
    name = str(user.get("username") or "")
    if not name.startswith(_ACCOUNT) or name.count(":") != 3:
        raise Refused(401, "only a service-account token bound to a pod may report")
    namespace, account = name.removeprefix(_ACCOUNT).split(":")
    extra = user.get("extra") or {}
    pods, uids = extra.get(POD_NAME) or [], extra.get(POD_UID) or []
    if len(pods) != 1 or len(uids) != 1:
        raise Refused(401, "the token is not bound to a pod")
    return Reporter(namespace, account, str(pods[0]), str(uids[0]))


def authorize(who: Reporter, report: Report, pod: Mapping[str, Any] | None) -> None:
    """Refused (403) unless the reporting pod is alive, is the one the token names, and belongs to the
    workload the report is about."""
    if report.namespace != who.namespace:
        raise Refused(403, f"a pod of namespace {who.namespace} may not report for namespace {report.namespace}")
    meta = (pod or {}).get("metadata") or {}
    if pod is None or meta.get("uid") != who.pod_uid or meta.get("deletionTimestamp"):
        raise Refused(403, f"pod {who.namespace}/{who.pod} is gone or is not the pod the token was issued to")
    account = ((pod.get("spec") or {}).get("serviceAccountName")) or "default"
    if account != who.service_account:
        raise Refused(403, f"pod {who.pod} does not run as service account {who.service_account}")
    workload = (meta.get("labels") or {}).get(WORKLOAD)
    if workload != report.workload:
        raise Refused(403, f"pod {who.pod} belongs to workload {workload!r}, not {report.workload!r}")
