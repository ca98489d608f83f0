"""The operator-managed webhook certificate: issue, renew, publish the CA bundle, reload without restart."""

from __future__ import annotations

import asyncio
import base64
import datetime
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from guardmesh_operator.webhook_certs import (
    BadSettings,
    CertSettings,
    Manager,
    Material,
    Serving,
    WebhookKind,
    ca_bundle_patch,
    issue,
    load_settings,
    renewal_reason,
)

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
HOSTS = ("guardmesh-webhook.gm.svc", "127.0.0.1")
SETTINGS_YAML = """
secret: {namespace: gm, name: guardmesh-webhook-tls}
hosts: [guardmesh-webhook.gm.svc, 127.0.0.1]
mutatingWebhooks: [guardmesh-inject]
validatingWebhooks: [guardmesh-validate]
validityDays: 90
renewBeforeDays: 30
checkIntervalSeconds: 600
"""


class MemoryApi:
    """An in-memory CertApi that records every call."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, bytes]] = {}
        self.configs: dict[tuple[str, str], dict[str, Any]] = {
            ("mutatingwebhookconfigurations", "guardmesh-inject"): {
                "webhooks": [{"name": "label", "clientConfig": {}}, {"name": "annotation", "clientConfig": {}}]
            },
            ("validatingwebhookconfigurations", "guardmesh-validate"): {
                "webhooks": [{"name": "securityguards", "clientConfig": {}}]
            },
        }
        self.calls: list[str] = []

    async def read_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        return self.secrets.get((namespace, name))

    async def write_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        self.calls.append(f"write {name}")
        self.secrets[(namespace, name)] = {k: base64.b64decode(v) for k, v in data.items()}

    async def read_webhooks(self, kind: WebhookKind, name: str) -> dict[str, Any] | None:
        return self.configs.get((kind, name))

    async def patch_webhooks(self, kind: WebhookKind, name: str, patch: list[dict[str, Any]]) -> None:
        self.calls.append(f"patch {name} x{len(patch)}")
        for op in patch:
            index = int(op["path"].split("/")[2])
            self.configs[(kind, name)]["webhooks"][index]["clientConfig"]["caBundle"] = op["value"]


def _settings(tmp_path: Path, text: str = SETTINGS_YAML) -> CertSettings:
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    return load_settings(path)


def test_the_charts_settings_file_is_read(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.secret.name == "guardmesh-webhook-tls"
    assert settings.hosts == HOSTS
    assert settings.mutating_webhooks == ("guardmesh-inject",)


def test_a_settings_file_with_an_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BadSettings, match="validityDayz"):
        _settings(tmp_path, SETTINGS_YAML + "validityDayz: 3\n")


def test_renewing_before_issuing_makes_no_sense_and_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadSettings, match="renewBeforeDays must be less than validityDays"):
        _settings(tmp_path, SETTINGS_YAML.replace("renewBeforeDays: 30", "renewBeforeDays: 90"))


def test_a_fresh_certificate_needs_no_renewal_and_covers_every_host() -> None:
    material = issue(HOSTS, NOW, 90)
    assert renewal_reason(material, HOSTS, NOW, 30) == ""
    cert = x509.load_pem_x509_certificate(material.cert)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "guardmesh-webhook.gm.svc" in names.get_values_for_type(x509.DNSName)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: None, "no certificate yet"),
        (lambda m: Material(m.ca_bundle, b"garbage", m.key), "tls.crt is not a PEM certificate"),
        (lambda m: Material(m.ca_bundle, m.cert, issue(HOSTS, NOW, 90).key), "tls.key does not belong"),
        (lambda m: Material(issue(HOSTS, NOW, 90).ca_bundle, m.cert, m.key), "ca.crt does not hold the CA"),
    ],
)
def test_a_broken_secret_is_renewed_with_the_reason(change: Any, reason: str) -> None:
    assert reason in renewal_reason(change(issue(HOSTS, NOW, 90)), HOSTS, NOW, 30)


def test_a_certificate_is_renewed_when_hosts_change_or_expiry_is_near() -> None:
    material = issue(HOSTS, NOW, 90)
    assert "does not cover" in renewal_reason(material, (*HOSTS, "other.gm.svc"), NOW, 30)
    assert renewal_reason(material, HOSTS, NOW + datetime.timedelta(days=59), 30) == ""
    assert "expires on" in renewal_reason(material, HOSTS, NOW + datetime.timedelta(days=61), 30)


def test_a_new_bundle_keeps_the_previous_ca_until_it_expires() -> None:
    first = issue(HOSTS, NOW, 90)
    second = issue(HOSTS, NOW + datetime.timedelta(days=61), 90, first.ca_bundle)
    assert len(x509.load_pem_x509_certificates(second.ca_bundle)) == 2
    third = issue(HOSTS, NOW + datetime.timedelta(days=122), 90, second.ca_bundle)
    assert len(x509.load_pem_x509_certificates(third.ca_bundle)) == 2  # the first CA has expired


def test_the_ca_bundle_patch_touches_only_webhooks_that_lack_it() -> None:
    bundle = b"-----BEGIN CERTIFICATE-----\n"
    encoded = base64.b64encode(bundle).decode()
    config = {"webhooks": [{"clientConfig": {"caBundle": encoded}}, {"clientConfig": {"url": "https://x"}}]}
    assert ca_bundle_patch(config, bundle) == [
        {"op": "add", "path": "/webhooks/1/clientConfig/caBundle", "value": encoded}
    ]
    config["webhooks"][1]["clientConfig"]["caBundle"] = encoded
    assert ca_bundle_patch(config, bundle) == []


async def test_the_manager_issues_once_publishes_the_bundle_and_rotates_before_expiry(tmp_path: Path) -> None:
    api = MemoryApi()
    manager = Manager(api, _settings(tmp_path), tmp_path / "serving")
    first = await manager.reconcile(NOW)
    assert api.calls == ["write guardmesh-webhook-tls", "patch guardmesh-inject x2", "patch guardmesh-validate x1"]
    assert manager.cert.read_bytes() == first.cert
    api.calls.clear()
    assert await manager.reconcile(NOW + datetime.timedelta(days=1)) == first
    assert api.calls == []
    later = await manager.reconcile(NOW + datetime.timedelta(days=61))
    # The bundle with the new and the old CA is published before the new certificate is served.
    assert api.calls == ["write guardmesh-webhook-tls", "patch guardmesh-inject x2", "patch guardmesh-validate x1"]
    assert later.cert != first.cert
    published = api.configs[("mutatingwebhookconfigurations", "guardmesh-inject")]["webhooks"][0]["clientConfig"]
    assert base64.b64decode(published["caBundle"]) == later.ca_bundle
    assert first.ca_bundle in later.ca_bundle


async def test_a_reset_ca_bundle_is_published_again_without_a_new_certificate(tmp_path: Path) -> None:
    api = MemoryApi()
    manager = Manager(api, _settings(tmp_path), tmp_path / "serving")
    first = await manager.reconcile(NOW)
    api.configs[("validatingwebhookconfigurations", "guardmesh-validate")]["webhooks"][0]["clientConfig"] = {}
    api.calls.clear()
    assert await manager.reconcile(NOW) == first
    assert api.calls == ["patch guardmesh-validate x1"]


async def test_a_secret_replaced_behind_the_operators_back_keeps_the_served_ca_trusted(tmp_path: Path) -> None:
    api = MemoryApi()
    manager = Manager(api, _settings(tmp_path), tmp_path / "serving")
    served = await manager.reconcile(NOW)
    planted = issue(HOSTS, NOW - datetime.timedelta(days=61), 90)  # due for renewal
    api.secrets[("gm", "guardmesh-webhook-tls")] = {k: v for k, v in planted.as_files().items()}
    renewed = await manager.reconcile(NOW)
    assert renewed.cert not in (served.cert, planted.cert)
    assert served.ca_bundle in renewed.ca_bundle
    assert planted.ca_bundle in renewed.ca_bundle


def test_stopping_removes_the_private_key_the_operator_wrote(tmp_path: Path) -> None:
    material = issue(HOSTS, NOW, 90)
    own = tmp_path / "own"
    own.mkdir()
    (own / "tls.crt").write_bytes(material.cert)
    (own / "tls.key").write_bytes(material.key)
    serving = Serving(own / "tls.crt", own / "tls.key", own)
    asyncio.run(serving.stop())
    assert not own.exists()


async def _served_cert(port: int, ca_bundle: bytes) -> x509.Certificate:
    client = ssl.create_default_context(cadata=ca_bundle.decode())
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client)
    peer = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    return x509.load_der_x509_certificate(peer)


async def test_a_rotated_certificate_is_served_by_the_running_server_without_a_restart(tmp_path: Path) -> None:
    api = MemoryApi()
    manager = Manager(api, _settings(tmp_path), tmp_path / "serving")
    now = datetime.datetime.now(datetime.UTC)
    first = await manager.reconcile(now - datetime.timedelta(days=61))  # valid today, due for renewal
    serving = Serving(manager.cert, manager.key)
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=serving.context)
    port = server.sockets[0].getsockname()[1]
    try:
        before = await _served_cert(port, first.ca_bundle)
        assert before == x509.load_pem_x509_certificate(first.cert)
        assert not serving.reload_if_changed()
        later = await manager.reconcile(now)
        assert serving.reload_if_changed()
        after = await _served_cert(port, later.ca_bundle)
        assert after == x509.load_pem_x509_certificate(later.cert)
        assert after != before
    finally:
        server.close()
        await server.wait_closed()


def test_a_bad_certificate_file_is_refused_and_the_last_good_one_kept(tmp_path: Path) -> None:
    material = issue(HOSTS, NOW, 90)
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.write_bytes(material.cert)
    key.write_bytes(material.key)
    serving = Serving(cert, key)
    kept = serving.current
    key.write_bytes(issue(HOSTS, NOW, 90).key)  # a key that does not match the certificate
    with pytest.raises(ssl.SSLError):
        serving.reload_if_changed()
    assert serving.current is kept
