"""Run Dex, a real OpenID Connect provider built from its Go modules (hack/build-dex.sh), for identity tests.

``running_dex(resources)`` starts it on a free port with in-memory storage, two users of its password
database (alice and bob, password ``password``), one public client ``mcp-client`` (PKCE, redirect to a
loopback URL nobody serves: the tests read the code from the redirect) and, for each protected resource
URI, a client of that id trusting ``mcp-client``. A token requested with the scope
``audience:server:client_id:<resource>`` then has the resource's canonical URI in ``aud``, which is what
the sidecar requires. Dex signs with keys it rotates itself (``signing_keys`` apart, checked every 30 s).

``login(url, user)`` plays the user in the browser: it opens the authorization URL, posts the password
form and returns the code and state from the redirect, as a browser would hand them to the client.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import re
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.support import peers

CLIENT_ID = "mcp-client"
PASSWORD = "password"
# bcrypt of "password" (the hash Dex's own example configuration ships for its example user).
_PASSWORD_HASH = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
USERS = {"alice": "08a8684b-db88-4b73-90a9-3cd1661f5466", "bob": "41331323-6f44-45e6-b3b9-2c4b60c02be5"}


@functools.cache
def dex_binary() -> Path:
    return peers.run_hack_script("build-dex.sh")


@dataclass
class Dex:
    issuer: str
    redirect_uri: str
    log: peers.PeerProcess

    def kids(self) -> list[str]:
        """The ids of the keys Dex publishes now."""
        with urllib.request.urlopen(f"{self.issuer}/keys", timeout=5) as response:
            return [key["kid"] for key in json.load(response)["keys"]]

    def login(self, authorization_url: str, user: str) -> tuple[str, str]:
        """Sign in as `user` at the authorization URL; the code and state Dex redirects back with."""
        opener = urllib.request.build_opener(_NoRedirect)
        url = authorization_url
        for _ in range(10):  # the authorization request, then the connector's login page
            status, location, body = _fetch(opener, url)
            if location is None:
                break
            url = urljoin(url, location)
        form = re.search(r'<form method="post" action="([^"]+)"', body)
        if form is None:
            raise AssertionError(f"no login form at {url}:\n{body[:2000]}")
        post_url = urljoin(url, html.unescape(form.group(1)))
        data = f"login={user}%40example.com&password={PASSWORD}".encode()
        status, location, body = _fetch(opener, post_url, data)
        for _ in range(10):  # approval (skipped), then the redirect to the client
            if location is None:
                raise AssertionError(f"login of {user} was not redirected ({status}):\n{body[:2000]}")
            target = urljoin(post_url, location)
            if target.startswith(self.redirect_uri):
                query = parse_qs(urlsplit(target).query)
                if "code" not in query:
                    raise AssertionError(f"Dex refused the authorization: {query}")
                return query["code"][0], query["state"][0]
            status, location, body = _fetch(opener, target)
            post_url = target
        raise AssertionError("too many redirects")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _fetch(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> tuple[int, str | None, str]:
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Location"), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        with exc:  # a redirect not followed arrives as an HTTPError holding the connection
            return exc.code, exc.headers.get("Location"), exc.read().decode(errors="replace")


def _config(port: int, redirect_uri: str, resources: Sequence[str], signing_keys: str) -> str:
    users = "".join(
        f"""
- email: {name}@example.com
  hash: "{_PASSWORD_HASH}"
  username: {name}
  userID: {uid}"""
        for name, uid in USERS.items()
    )
    peers_ = "".join(
        f"""
- id: {resource}
  name: protected MCP server {i}
  secret: {secrets.token_hex(16)}
  redirectURIs: []
  trustedPeers: [{CLIENT_ID}]"""
        for i, resource in enumerate(resources)
    )
    return f"""\
issuer: http://127.0.0.1:{port}/dex
storage:
  type: memory
web:
  http: 127.0.0.1:{port}
logger:
  level: warn
expiry:
  signingKeys: {signing_keys}
  idTokens: 10m
oauth2:
  skipApprovalScreen: true
  responseTypes: [code]
enablePasswordDB: true
staticPasswords:{users}
staticClients:
- id: {CLIENT_ID}
  name: MCP client
  public: true
  redirectURIs: [{redirect_uri}]{peers_}
"""


@contextlib.contextmanager
def running_dex(resources: Sequence[str], signing_keys: str = "6h") -> Iterator[Dex]:
    """Dex on a free loopback port, issuing tokens for `resources`, while the context is open."""
    port = peers.free_port()
    redirect_uri = f"http://127.0.0.1:{peers.free_port()}/callback"
    with tempfile.TemporaryDirectory(prefix="guardmesh-dex-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(_config(port, redirect_uri, resources, signing_keys), encoding="utf-8")
        with peers.running([str(dex_binary()), "serve", str(config)], port=port) as process:
            yield Dex(f"http://127.0.0.1:{port}/dex", redirect_uri, process)
