"""The plane's PKI: a local CA, the API server's serving cert, service-account keys, client kubeconfigs."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_CIDR = "10.96.0.0/16"


def _key() -> ec.EllipticCurvePrivateKey:
    # P-256 keys are generated in microseconds, which keeps a warm `up` fast; every component accepts them.
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Issuer:
    """The local CA that signs the serving and client certificates."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls) -> Issuer:
        key = _key()
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("guardmesh-local-ca"))
            .issuer_name(_name("guardmesh-local-ca"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def issue(
        self, cn: str, *, org: str | None = None, server_names: Sequence[str] = (), server_ips: Sequence[str] = ()
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = _key()
        now = dt.datetime.now(dt.UTC)
        server = bool(server_names or server_ips)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, org))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if server:
            alt: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names]
            alt += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return key, builder.sign(self.key, hashes.SHA256())


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.write_bytes(data)
    path.chmod(mode)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig(server: str, ca: bytes, cert: bytes, key: bytes, user: str) -> str:
    """A self-contained kubeconfig (JSON is valid YAML, and kubectl reads either)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "guardmesh", "cluster": {"server": server, "certificate-authority-data": _b64(ca)}}],
        "users": [{"name": user, "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}}],
        "contexts": [{"name": "guardmesh", "context": {"cluster": "guardmesh", "user": user}}],
        "current-context": "guardmesh",
    }
    return json.dumps(doc, indent=2) + "\n"


# client identity -> (CN, organisation). The controller manager is in system:masters and runs every controller
# under its own identity (--use-service-account-credentials=false): minting one account and token per controller
# first would add ~4 s to each start of a throwaway test plane.
CLIENTS = {
    "admin": ("guardmesh-admin", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", "system:masters"),
    "kube-scheduler": ("system:kube-scheduler", None),
    "kwok": ("guardmesh-kwok", "system:masters"),
}


# The extra identities of a node (`hack/cluster up --pods`): the kubelet is a Node-authorized node, kube-proxy the
# identity the bootstrap RBAC binds to system:node-proxier, kube-router (NetworkPolicy watches only) and the API
# server's client for the kubelet (logs, exec, port-forward) are in system:masters.
NODE_CLIENTS = {
    "kubelet": ("system:node:{node}", "system:nodes"),
    "kube-proxy": ("system:kube-proxy", None),
    "kube-router": ("guardmesh-kube-router", "system:masters"),
    "apiserver-kubelet-client": ("guardmesh-apiserver-kubelet-client", "system:masters"),
}


def make_pki(
    pki: Path,
    server: str,
    service_cidr: str = SERVICE_CIDR,
    server_ips: Sequence[str] = ("127.0.0.1",),
    node: tuple[str, str] | None = None,
) -> None:
    """CA, API server serving cert, service-account keys and one client kubeconfig per identity.

    With node=(name, ip): also the node's client identities and the kubelet's serving certificate."""
    pki.mkdir(parents=True, exist_ok=True)
    ca = Issuer.create()
    ca_pem = _pem_cert(ca.cert)
    _write(pki / "ca.crt", ca_pem, 0o644)
    _write(pki / "ca.key", _pem_key(ca.key))
    names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
    names.append("kubernetes.default.svc.cluster.local")
    service_ip = str(next(ipaddress.ip_network(service_cidr).hosts()))
    key, cert = ca.issue("kube-apiserver", server_names=names, server_ips=[*server_ips, service_ip])
    _write(pki / "apiserver.crt", _pem_cert(cert), 0o644)
    _write(pki / "apiserver.key", _pem_key(key))
    sa = _key()
    _write(pki / "sa.key", _pem_key(sa))
    sa_pub = sa.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(pki / "sa.pub", sa_pub, 0o644)
    clients = dict(CLIENTS)
    if node is not None:
        name, ip = node
        clients |= {ident: (cn.format(node=name), org) for ident, (cn, org) in NODE_CLIENTS.items()}
        key, cert = ca.issue(f"system:node:{name}", server_names=[name], server_ips=[ip])
        _write(pki / "kubelet-serving.crt", _pem_cert(cert), 0o644)
        _write(pki / "kubelet-serving.key", _pem_key(key))
    for ident, (cn, org) in clients.items():
        key, cert = ca.issue(cn, org=org)
        (pki / f"{ident}.key").write_bytes(_pem_key(key))
        (pki / f"{ident}.crt").write_bytes(_pem_cert(cert))
        text = kubeconfig(server, ca_pem, _pem_cert(cert), _pem_key(key), cn)
        _write(pki / f"{ident}.kubeconfig", text.encode())
