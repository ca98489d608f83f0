"""API failures reach the handlers as the operator's own errors, with a terminating namespace told apart."""

import json
from collections.abc import Mapping

from kubernetes.client.exceptions import ApiException

from guardmesh_operator.kube import KubeError, NamespaceTerminating, _error


def _exception(status: int, body: Mapping[str, object]) -> ApiException:
    exc = ApiException(status=status, reason="Forbidden")
    exc.body = json.dumps(body)
    return exc


def test_a_terminating_namespace_is_its_own_error() -> None:
    body = {
        "reason": "Forbidden",
        "message": "unable to create new content in namespace x because it is being terminated",
        "details": {"causes": [{"reason": "NamespaceTerminating"}]},
    }
    error = _error(_exception(403, body))
    assert isinstance(error, NamespaceTerminating)
    assert str(error).startswith("403 Forbidden: unable to create new content")


def test_other_failures_keep_status_and_reason() -> None:
    error = _error(_exception(409, {"reason": "Conflict", "message": "the object has been modified"}))
    assert type(error) is KubeError
    assert (error.status, error.reason) == (409, "Conflict")
    garbled = ApiException(status=500, reason="Internal Server Error")
    garbled.body = "<html>"
    assert str(_error(garbled)) == "500 Internal Server Error: Internal Server Error"
