"""`guardmesh-sidecar`: the proxy in front of one MCP server, over HTTP or stdio."""

import argparse
import logging
import os
import sys
from pathlib import Path

import uvloop
from pydantic import ValidationError

from guardmesh.app.configmap_watch import SERVICE_ACCOUNT, ApiAccess, ConfigMapRef
from guardmesh.app.server import Settings, run_forever
from guardmesh.config import ConfigError
from guardmesh.config.identity import Authentication, TrustedIssuer


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="bundle file (YAML or JSON); reloaded when it changes")
    parser.add_argument("--audit-log", default="-", help="audit log file, '-' for stdout, 'none' to disable")
    parser.add_argument("--server-id", help="identity of the protected server (default: the upstream)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def http_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guardmesh-sidecar", description="Guard an MCP server over HTTP.")
    parser.add_argument("--listen", type=_address, default=("0.0.0.0", 8080), help="HOST:PORT for MCP clients")  # noqa: S104
    parser.add_argument("--upstream", required=True, help="URL of the MCP server, e.g. http://127.0.0.1:3001/mcp")
    parser.add_argument(
        "--admin-listen",
        type=_address,
        default=("0.0.0.0", 9090),  # noqa: S104
        help="HOST:PORT for /metrics, /healthz, /readyz",
    )
    parser.add_argument(
        "--pod-labels",
        type=Path,
        default=os.environ.get("GUARDMESH_POD_LABELS") or None,
        help="the pod's labels file (downward API); picks this pod's entries when --config is a GuardBundleSet",
    )
    parser.add_argument(
        "--config-configmap",
        type=_configmap,
        default=os.environ.get("GUARDMESH_CONFIGMAP") or None,
        help="NAMESPACE/NAME[/KEY]: also follow the bundle ConfigMap through the Kubernetes API, so changes"
        " apply in about a second rather than at the kubelet's next volume sync (key default bundle.yaml)",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=float,
        default=25.0,
        help="seconds from SIGTERM to exit, requests in flight included (keep it below the pod's"
        " terminationGracePeriodSeconds; default 25)",
    )
    parser.add_argument(
        "--report-token",
        type=Path,
        default=os.environ.get("GUARDMESH_REPORT_TOKEN") or None,
        help="token file (the pod's guardmesh.dev/observer token): report the tool definitions seen to the"
        " operator when the bundle holds a ToolBaseline for this server",
    )
    parser.add_argument("--kube-api", type=_address, help="HOST:PORT of the API server (default: in-cluster)")
    parser.add_argument("--kube-token-file", type=Path, help="bearer token file (default: the service account's)")
    parser.add_argument("--kube-ca-file", type=Path, help="CA of the API server (default: the service account's)")
    auth = parser.add_argument_group(
        "authentication", "require OAuth bearer tokens from one issuer (replaces the bundle's `authentication`)"
    )
    auth.add_argument("--auth-issuer", help="issuer whose JWT access tokens are accepted (exactly their `iss`)")
    auth.add_argument(
        "--auth-audience", help="this server's canonical URI: the tokens' required `aud` and the metadata's resource"
    )
    auth.add_argument(
        "--auth-jwks", help="URL or file of the issuer's keys (JWKS); default: discovered from the issuer's metadata"
    )
    _common(parser)
    return parser


def _authentication(args: argparse.Namespace) -> Authentication | None:
    """The `authentication` the three --auth-* flags stand for (the same defaults as the Policy section)."""
    given = [args.auth_issuer, args.auth_audience]
    if not any(given) and args.auth_jwks is None:
        return None
    if not all(given):
        raise ConfigError("--auth-issuer and --auth-audience go together (and --auth-jwks needs them)")
    jwks = args.auth_jwks
    if jwks is not None and "://" not in jwks:
        jwks = Path(jwks).resolve().as_uri()
    try:
        return Authentication(
            resource=args.auth_audience, oauth=(TrustedIssuer(issuer=args.auth_issuer, jwks_uri=jwks),)
        )
    except ValidationError as exc:
        raise ConfigError(
            "--auth-*: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        ) from None


def _configmap(text: str) -> ConfigMapRef:
    try:
        return ConfigMapRef.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _api_access(args: argparse.Namespace) -> ApiAccess | None:
    """API access for --config-configmap: in-cluster defaults, each part overridable by a flag."""
    if args.config_configmap is None:
        return None
    if args.kube_api is not None:
        host, port = args.kube_api
        return ApiAccess(
            host,
            port,
            args.kube_token_file or SERVICE_ACCOUNT / "token",
            args.kube_ca_file or SERVICE_ACCOUNT / "ca.crt",
        )
    try:
        return ApiAccess.in_cluster(args.kube_token_file, args.kube_ca_file)
    except ValueError as exc:
        raise ConfigError(f"--config-configmap: {exc}") from None


def stdio_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guardmesh-sidecar stdio", description="Guard a local stdio MCP server.")
    _common(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS... of the server")
    return parser


def _logging(level: str) -> None:
    # Logs go to stderr: stdout may carry the audit log or, in stdio mode, the protocol itself.
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    try:
        if args_in[:1] == ["stdio"]:
            from guardmesh.transports.stdio import run_stdio

            args = stdio_parser().parse_args(args_in[1:])
            command = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not command:
                stdio_parser().error("give the server command after --")
            _logging(args.log_level)
            audit = None if args.audit_log == "none" else args.audit_log
            if audit == "-":
                stdio_parser().error("in stdio mode stdout carries the protocol: give --audit-log a file")
            return uvloop.run(run_stdio(command, args.config, audit, args.server_id))
        args = http_parser().parse_args(args_in)
        _logging(args.log_level)
        settings = Settings(
            upstream=args.upstream,
            listen=args.listen,
            admin=args.admin_listen,
            config=args.config,
            audit_log=None if args.audit_log == "none" else args.audit_log,
            server_id=args.server_id,
            pod_labels=args.pod_labels,
            configmap=args.config_configmap,
            api=_api_access(args),
            authentication=_authentication(args),
            report_token=args.report_token,
        )
        uvloop.run(run_forever(settings))
        return 0
    except ConfigError as exc:
        print(f"guardmesh-sidecar: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
