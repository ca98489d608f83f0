"""A small synthetic secrets corpus: no public corpus labels credentials, so this one is generated.

Fake, well-formed credentials in the documented format of each provider (prefix, alphabet, length;
seeded, so every run gives the same strings), and benign look-alikes of the same shapes: UUIDs, git
SHAs, digests, base64 blobs, placeholders. None of the values is a real credential. Samples are in the
format of ``tests.quality.corpora`` (corpus ``synthetic-secrets``), alternating between tool-call
arguments and tool results.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Callable
from typing import Any

from tests.quality.corpora import Sample

CORPUS = "synthetic-secrets"
SEED = 20261121
PER_FORMAT = 2

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_UPPER32 = string.ascii_uppercase + "234567"
_URLSAFE = _ALNUM + "_-"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + _r(rng, string.digits, n - 1)


def _b64(rng: random.Random, n_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(n_bytes)).decode()


def _jwt(rng: random.Random) -> str:
    def part(obj: str) -> str:
        return base64.urlsafe_b64encode(obj.encode()).decode().rstrip("=")

    header = part('{"alg":"HS256","typ":"JWT"}')
    payload = part(f'{{"sub":"{_digits(rng, 10)}","name":"svc-{_r(rng, string.ascii_lowercase, 6)}"}}')
    return f"{header}.{payload}.{_r(rng, _URLSAFE, 43)}"


Gen = Callable[[random.Random], str]

# Provider formats, as each provider documents them (prefix, alphabet, length).
FORMATS: dict[str, Gen] = {
    "aws-access-key-id": lambda g: "AKIA" + _r(g, _UPPER32, 16),
    "aws-secret-access-key": lambda g: "aws_secret_access_key = " + _r(g, _ALNUM + "/+", 40),
    "gcp-api-key": lambda g: "AIza" + _r(g, _URLSAFE, 35),
    "gcp-oauth-client-secret": lambda g: "GOCSPX-" + _r(g, _URLSAFE, 28),
    "gcp-oauth-access-token": lambda g: "ya29." + _r(g, _URLSAFE, 60),
    "azure-storage-connection-string": lambda g: (
        f"DefaultEndpointsProtocol=https;AccountName=store{_r(g, '0123456789', 4)};"
        f"AccountKey={_b64(g, 64)};EndpointSuffix=core.windows.net"
    ),
    "github-pat-classic": lambda g: "ghp_" + _r(g, _ALNUM, 36),
    "github-pat-fine-grained": lambda g: f"github_pat_{_r(g, _ALNUM, 22)}_{_r(g, _ALNUM, 59)}",
    "github-oauth": lambda g: "gho_" + _r(g, _ALNUM, 36),
    "github-app-installation": lambda g: "ghs_" + _r(g, _ALNUM, 36),
    "gitlab-pat": lambda g: "glpat-" + _r(g, _URLSAFE, 20),
    "slack-bot-token": lambda g: f"xoxb-{_digits(g, 12)}-{_digits(g, 13)}-{_r(g, _ALNUM, 24)}",
    "slack-user-token": lambda g: f"xoxp-{_digits(g, 12)}-{_digits(g, 12)}-{_digits(g, 13)}-{_r(g, _HEX, 32)}",
    "slack-webhook": lambda g: (
        f"https://hooks.slack.com/services/T{_r(g, _UPPER32, 10)}/B{_r(g, _UPPER32, 10)}/{_r(g, _ALNUM, 24)}"
    ),
    "stripe-live-secret-key": lambda g: "sk_live_" + _r(g, _ALNUM, 24),
    "stripe-restricted-key": lambda g: "rk_live_" + _r(g, _ALNUM, 24),
    "stripe-webhook-secret": lambda g: "whsec_" + _r(g, _ALNUM, 32),
    "openai-project-key": lambda g: "sk-proj-" + _r(g, _URLSAFE, 120),
    "openai-legacy-key": lambda g: f"sk-{_r(g, _ALNUM, 20)}T3BlbkFJ{_r(g, _ALNUM, 20)}",
    "anthropic-api-key": lambda g: "sk-ant-api03-" + _r(g, _URLSAFE, 93) + "AA",
    "huggingface-token": lambda g: "hf_" + _r(g, _ALNUM, 34),
    "groq-api-key": lambda g: "gsk_" + _r(g, _ALNUM, 52),
    "npm-token": lambda g: "npm_" + _r(g, _ALNUM, 36),
    "pypi-token": lambda g: "pypi-AgEIcHlwaS5vcmc" + _r(g, _URLSAFE, 60),
    "docker-pat": lambda g: "dckr_pat_" + _r(g, _URLSAFE, 27),
    "hashicorp-vault-token": lambda g: "hvs." + _r(g, _URLSAFE, 24),
    "digitalocean-token": lambda g: "dop_v1_" + _r(g, _HEX, 64),
    "sendgrid-api-key": lambda g: f"SG.{_r(g, _URLSAFE, 22)}.{_r(g, _URLSAFE, 43)}",
    "twilio-api-key": lambda g: "SK" + _r(g, _HEX, 32),
    "mailgun-api-key": lambda g: "key-" + _r(g, _HEX, 32),
    "shopify-token": lambda g: "shpat_" + _r(g, _HEX, 32),
    "telegram-bot-token": lambda g: f"{_digits(g, 10)}:AA{_r(g, _URLSAFE, 33)}",
    "age-secret-key": lambda g: "AGE-SECRET-KEY-1" + _r(g, string.ascii_uppercase + string.digits, 58),
    "jwt": _jwt,
    "pem-rsa-private-key": lambda g: f"-----BEGIN RSA PRIVATE KEY-----\n{_b64(g, 48)}\n-----END RSA PRIVATE KEY-----",
    "openssh-private-key": lambda g: (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{_b64(g, 48)}\n-----END OPENSSH PRIVATE KEY-----"
    ),
    "database-url": lambda g: f"postgres://app:{_r(g, _ALNUM, 16)}@db.internal:5432/app",
    "password-assignment": lambda g: f'DB_PASSWORD="{_r(g, _ALNUM + "!#%&", 18)}"',
    "bearer-header": lambda g: "Authorization: Bearer " + _r(g, _ALNUM, 40),
}

# Strings shaped like credentials that are not: identifiers, digests, encoded data, placeholders.
LOOKALIKES: dict[str, Gen] = {
    "uuid": lambda g: str(uuid.UUID(int=g.getrandbits(128), version=4)),
    "git-sha": lambda g: _r(g, _HEX, 40),
    "git-short-sha": lambda g: "commit " + _r(g, _HEX, 7),
    "sha256": lambda g: "sha256:" + _r(g, _HEX, 64),
    "md5": lambda g: _r(g, _HEX, 32),
    "base64-blob": lambda g: _b64(g, g.randint(24, 96)),
    "data-uri": lambda g: "data:image/png;base64," + _b64(g, 64),
    "integrity-hash": lambda g: "sha512-" + _b64(g, 64),
    "placeholder-api-key": lambda g: "api_key = YOUR_API_KEY_HERE",
    "placeholder-env": lambda g: "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
    "placeholder-password": lambda g: "password: <your password>",
    "docs-token-mention": lambda g: "Create a token in Settings > Developer settings and keep it secret.",
    "ssh-public-key": lambda g: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5" + _r(g, _ALNUM, 43) + " dev@laptop",
    "version-and-build": lambda g: f"v{g.randint(1, 9)}.{g.randint(0, 30)}.{g.randint(0, 99)}+build.{_r(g, _HEX, 12)}",
}

_WRAPPERS = ("{}", "Here is the value you asked for: {} (from the vault export).")


def _message(location: str, text: str, n: int) -> tuple[str, str, dict[str, Any]]:
    if location == "argument":
        body = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "run", "arguments": {"input": text}},
        }
        return "client-to-server", "tools/call", body
    body = {"jsonrpc": "2.0", "id": n, "result": {"content": [{"type": "text", "text": text}], "isError": False}}
    return "server-to-client", "tools/call", body


def samples() -> list[Sample]:
    """Every synthetic sample: ``PER_FORMAT`` of each provider format (attack, category
    ``secrets/<format>``) and of each look-alike (benign, ``source.kind`` names it)."""
    rng = random.Random(SEED)  # noqa: S311 - fake values, seeded for reproducibility
    out: list[Sample] = []
    groups: list[tuple[str, dict[str, Gen]]] = [("attack", FORMATS), ("benign", LOOKALIKES)]
    for label, table in groups:
        for name, gen in table.items():
            for i in range(PER_FORMAT):
                n = len(out)
                location = "argument" if n % 2 == 0 else "result"
                text = _WRAPPERS[i % len(_WRAPPERS)].format(gen(rng))
                direction, method, message = _message(location, text, n)
                out.append(
                    Sample(
                        id=f"synthetic-secrets/{name}/{i}",
                        corpus=CORPUS,
                        label="attack" if label == "attack" else "benign",
                        category=f"secrets/{name}" if label == "attack" else None,
                        location="argument" if location == "argument" else "result",
                        direction="client-to-server" if direction == "client-to-server" else "server-to-client",
                        method=method,
                        message=message,
                        spans=(),
                        source={"generator": "tests/quality/secrets_synthetic.py", "seed": SEED, "kind": name},
                    )
                )
    return out
