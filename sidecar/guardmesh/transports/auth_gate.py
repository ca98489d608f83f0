"""Authentication at the front door: the `Identify` of transports/caller.py when a Policy turns it on. Before
anything is relayed, the bearer token is verified (or the Protected Resource Metadata served), and what the MCP
server receives about the caller is decided.

The client's token never reaches the server (the MCP authorization spec forbids passing it through): the
`Authorization` header is removed, and only the headers `authentication.identityHeaders` names are added.
"""

from collections.abc import Iterable

from guardmesh.auth import METADATA_PATH, Authenticator
from guardmesh.guards.api import Identity
from guardmesh.runtime import Runtime
from guardmesh.telemetry.recorder import Telemetry
from guardmesh.transports.caller import Caller, Identify, by_address
from guardmesh.transports.h1 import Request, Response

_JSON = "application/json"


def identify_callers(runtime: Runtime) -> Identify:
    """Callers by verified identity while the config in force has `authentication`, else by address."""

    async def identify(request: Request) -> Caller | Response:
        authenticator = runtime.authenticator
        if authenticator is None:
            return await by_address(request)
        answer = await admit(authenticator, request, runtime.telemetry)
        if isinstance(answer, Response):
            return answer
        return Caller(answer.key, request.remote, answer.subject, answer)

    return identify


async def admit(authenticator: Authenticator, request: Request, telemetry: Telemetry) -> Identity | Response:
    """The verified caller of `request`, or the answer to send instead (also the metadata document)."""
    base = _base_url(request)
    if request.path == METADATA_PATH or request.path.startswith(METADATA_PATH + "/"):
        if request.method not in ("GET", "HEAD"):
            return Response(405, [("Allow", "GET, HEAD")], b"")
        body = authenticator.metadata(base, request.path)
        return Response(200, [("Content-Type", _JSON), ("Cache-Control", "max-age=300")], body)
    answer = await authenticator.authenticate(request.headers, request.query_string, base)
    if isinstance(answer, Identity):
        telemetry.authenticated(answer.kind, "ok")
        return answer
    telemetry.authenticated("bearer", answer.reason)
    telemetry.rejected(f"auth-{answer.reason}", answer.message)
    return Response(answer.status, [("Content-Type", _JSON), *answer.headers], answer.body)


def upstream_headers(
    headers: Iterable[tuple[str, str]], authenticator: Authenticator, caller: Identity | None
) -> list[tuple[str, str]]:
    """The request's headers as the MCP server gets them: without the client's token, with the identity headers."""
    names = authenticator.config.identity_headers
    values = ((names.subject, caller.subject if caller else None), (names.issuer, caller.issuer if caller else None))
    added = [(name, value) for name, value in values if name and value]
    dropped = {"authorization", *(name.lower() for name in (names.subject, names.issuer) if name)}
    return [(k, v) for k, v in headers if k.lower() not in dropped] + added


def _base_url(request: Request) -> str:
    """`http://host:port` as the client addressed this sidecar (for the metadata URL when none is configured)."""
    return f"http://{request.host or '127.0.0.1'}"
