"""The operator names itself to kopf without the passwd file (the image's uid 65532 has no entry)."""

import getpass
import socket

import pytest

from guardmesh_operator.__main__ import identity


def _no_passwd_entry() -> str:
    raise KeyError("getpwuid(): uid not found: 65532")


def test_identity_is_the_pod_name_from_the_downward_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", _no_passwd_entry)
    monkeypatch.setenv("POD_NAME", "guardmesh-operator-7d9c-abcde")
    assert identity() == "guardmesh-operator-7d9c-abcde"


def test_identity_without_a_pod_name_is_host_and_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", _no_passwd_entry)
    monkeypatch.delenv("POD_NAME", raising=False)
    host, pid = identity().rsplit("/", 1)
    assert host == socket.gethostname()
    assert int(pid) > 0
