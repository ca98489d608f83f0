"""`python -m guardmesh_operator run|certs|crds`: the operator with its webhooks, dev certificates, the CRDs."""

import argparse
import asyncio
import contextlib
import logging
import os
import re
import socket
import sys
from pathlib import Path

import kopf
from kopf._core.engines.peering import Identity  # kopf does not re-export the type of its identity argument

from guardmesh_operator import controller, crds, webhook_certs
from guardmesh_operator.api import GUARD_PLURAL
from guardmesh_operator.certs import write_serving_cert
from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.kube import Kube
from guardmesh_operator.webhooks import ServerThread, Webhooks

log = logging.getLogger("guardmesh.operator")
NATIVE_SIDECARS_SINCE = 29
"""Kubernetes minor version from which native sidecars (restartPolicy Always init containers) are on by default."""


def identity() -> str:
    """Who this operator is to kopf: the pod's name (POD_NAME, from the downward API) or host and pid.

    kopf's own default calls getpass.getuser(), which raises KeyError in an image whose uid has no passwd entry
    (the chart runs the operator as 65532): every in-cluster start crashed on it.
    """
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}/{os.getpid()}"


RESERVED_ENV = frozenset({"POD_NAME", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "GUARDMESH_WASM_CACHE"})
"""Variables the injector sets itself for each pod."""


def _env_var(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with a valid variable name, got {text!r}")
    if name in RESERVED_ENV:
        raise argparse.ArgumentTypeError(f"{name} is set by the injector for each pod")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m guardmesh_operator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="reconcile guards and policies and serve the admission webhooks")
    run.add_argument("--webhook-host", default="0.0.0.0", help="address the webhooks listen on")  # noqa: S104
    run.add_argument("--webhook-port", type=int, default=9443)
    run.add_argument("--webhook-cert", help="PEM certificate for the webhooks (with --webhook-key)")
    run.add_argument("--webhook-key", help="PEM private key for the webhooks")
    run.add_argument("--manage-certs", metavar="SETTINGS", help="issue, publish and rotate the webhook certificate")
    run.add_argument("--no-webhooks", action="store_true", help="reconcile only")
    run.add_argument("--namespace", action="append", default=[], help="watch only these namespaces (repeatable)")
    run.add_argument("--liveness", default="http://0.0.0.0:8080/healthz", help="kopf liveness endpoint URL")
    run.add_argument("--image", default=InjectorSettings.image, help="image of the injected sidecar")
    run.add_argument("--native-sidecars", choices=["auto", "true", "false"], default="auto")
    for name in ("cpu", "memory", "cpu_limit", "memory_limit"):  # sidecar resources (the chart's sidecar.resources)
        run.add_argument(f"--sidecar-{name.replace('_', '-')}", default=getattr(InjectorSettings, name))
    run.add_argument(
        "--sidecar-follow-configmap",
        action="store_true",
        help="sidecars also watch the bundle ConfigMap through the API; grants each namespace's service accounts"
        " read access to that one ConfigMap (the operator then needs roles and rolebindings create/update)",
    )
    run.add_argument(
        "--observe-url",
        help="HTTPS URL at which sidecars reach this operator's /observe endpoint (its webhook server) to report"
        " the tool definitions they see for ToolBaselines; sidecars get a pod-bound token for it",
    )
    run.add_argument(
        "--observe-ca", type=Path, help="CA bundle sidecars verify --observe-url with (default: the webhook CA)"
    )
    run.add_argument(
        "--sidecar-env",
        action="append",
        default=[],
        type=_env_var,
        metavar="NAME=VALUE",
        help="an environment variable of every injected sidecar, e.g. OTEL_EXPORTER_OTLP_ENDPOINT=... (repeatable)",
    )
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    certs = sub.add_parser("certs", help="write a throwaway CA and webhook serving certificate (development)")
    certs.add_argument("--dir", type=Path, required=True)
    certs.add_argument("--host", action="append", required=True, help="IP or DNS name (repeatable)")
    sub.add_parser("crds", help="generate crds/ (see python -m guardmesh_operator.crds --help)", add_help=False)
    return parser


async def _run(args: argparse.Namespace) -> None:
    kube = Kube()
    if args.native_sidecars == "auto":
        native = await kube.server_minor() >= NATIVE_SIDECARS_SINCE
    else:
        native = args.native_sidecars == "true"
    injector = InjectorSettings(
        image=args.image,
        native_sidecars=native,
        log_level=args.log_level,
        cpu=args.sidecar_cpu,
        memory=args.sidecar_memory,
        cpu_limit=args.sidecar_cpu_limit or None,
        memory_limit=args.sidecar_memory_limit,
        follow_configmap=args.sidecar_follow_configmap,
        observer_token=bool(args.observe_url),
        env=tuple(args.sidecar_env),
    )
    ctx = controller.Context(kube, injector, observe_url=args.observe_url)
    if args.observe_url and args.no_webhooks:
        raise SystemExit("--observe-url needs the webhook server: it serves /observe")
    loop = asyncio.get_running_loop()

    async def observe(token: str, body: object) -> tuple[int, str]:
        # Reports are taken on the operator's own loop, where the namespace locks and the API client live.
        future = asyncio.run_coroutine_threadsafe(controller.observe(ctx, token, body), loop)
        return await asyncio.wrap_future(future)

    async def guard_exists(namespace: str, name: str) -> bool:
        return await kube.get_custom(GUARD_PLURAL, namespace, name) is not None

    server = serving = None
    if not args.no_webhooks:
        serving = await webhook_certs.serve(kube, args.manage_certs, args.webhook_cert, args.webhook_key)
        observe_ca = args.observe_ca
        ctx.observe_ca = observe_ca.read_bytes if observe_ca is not None else serving.ca_bundle
        hooks = Webhooks(
            ctx.injector,
            guard_exists,
            lambda ns, pod, why: controller.pod_skipped(ctx, ns, pod, why),
            observe if args.observe_url else None,
        )
        tls = serving.context
        server = ServerThread(hooks, args.webhook_host, args.webhook_port, tls)
        # The webhook thread shares the GIL with kopf's; hand it over every 1 ms rather than every 5 ms, since
        # a pod creation waits on each review.
        sys.setswitchinterval(0.001)
        server.start()
    import guardmesh_operator.handlers  # noqa: F401 - registers the kopf handlers

    try:
        await kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace,
            standalone=True,
            identity=Identity(identity()),
            liveness_endpoint=args.liveness or None,
            memo=kopf.Memo(ctx=ctx),
        )
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
        if serving is not None:
            await serving.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["crds"]:
        return crds.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "certs":
        written = write_serving_cert(args.dir, args.host)
        print(f"{written.ca}\n{written.cert}\n{written.key}")
        return 0
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
