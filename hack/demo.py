"""`make demo`: GuardMesh from install to a blocked attack and its trace, on this machine.

1. Build or find what it needs (npm MCP peers, the OpenTelemetry Collector, the WASM pattern guard,
   the Kubernetes binaries); all cached in ~/.cache/guardmesh, so a second run skips it.
2. Start a one-node cluster with real pods (`hack/cluster up --pods`: containerd, kubelet, kube-proxy,
   kube-router) in a private temporary dir, and build and import the images (`hack/cluster images`).
3. `helm install` the chart: the operator runs as a pod; the examples' collector runs as a pod too.
4. `kubectl apply` examples/: guards, policies and the two opted-in MCP servers. The operator makes
   them Ready; the webhook injects the sidecar; the pods come up 2/2.
5. A real MCP client attacks both servers through their Services; the table shows what each guard
   did (from the sidecars' audit lines); the collector pod's spans are counted.

Where the container runtime cannot start (no root, cgroups, missing packages), it says so and falls back
to the process mode: a control plane with KWOK nodes, the operator and each pod's sidecar as processes
here (GUARDMESH_DEMO_MODE=processes chooses it). Exit status 1 if an expected block or redaction did not
happen. Ctrl-C stops everything it started.
"""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "hack")]

from gmdemo import attacks, examples, install, pods, processes  # noqa: E402
from gmdemo.console import note, step, table  # noqa: E402

from guardmesh.telemetry import names  # noqa: E402
from tests.support.cluster import Cluster, ClusterError, PodsCluster, running_cluster  # noqa: E402

NAMESPACE = "guardmesh-demo"


def build(script: str, what: str) -> Path:
    """Run a hack/ build script with its progress on the terminal; the path it prints last."""
    step(f"{what} (hack/{script}; cached after the first run)")
    proc = subprocess.run(
        ["bash", str(REPO / "hack" / script)], cwd=REPO, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise install.DemoError(f"hack/{script} failed with exit status {proc.returncode}")
    return Path(lines[-1])


def prepare() -> tuple[Path, Path]:
    """Everything the demo runs, built or found in the cache: (collector binary, pattern guard module)."""
    build("install-peers.sh", "MCP peers: server-everything and Node 22 from npm")
    collector = build("build-otelcol.sh", "OpenTelemetry Collector built from its Go modules")
    guards = build("build-guards.sh", "WebAssembly guards: the Rust pattern guard")
    step("Kubernetes binaries (hack/cluster build --pods: etcd, kube-apiserver, controllers, KWOK, kubelet, ...)")
    subprocess.run([str(REPO / "hack" / "cluster"), "build"], cwd=REPO, stdout=subprocess.DEVNULL, check=True)
    node = subprocess.run([str(REPO / "hack" / "cluster"), "build", "--pods"], cwd=REPO, stdout=subprocess.DEVNULL)
    if node.returncode != 0:
        note("the node binaries did not build (see above); the demo will fall back to the process mode")
    elif os.environ.get("GUARDMESH_DEMO_MODE", "pods") == "pods":
        step("container images: operator, sidecar, the example servers, the collector (buildah; cached)")
        argv = [str(REPO / "hack" / "cluster"), "images", "--examples", "--build-only"]
        if subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, check=False).returncode != 0:
            note("the images did not build (see above); the demo will fall back to the process mode")
    return collector, guards / "pattern-guard.wasm"


def install_guardmesh(stack: ExitStack, cluster: Cluster, work: Path) -> None:
    """The chart with values for a local plane, and the operator as a process; without a usable chart,
    the CRDs and webhook configurations are applied directly (and the output says so)."""
    where = install.endpoint(work / "operator")
    chart = install.CHART / "values-local.yaml"
    via_chart = chart.exists()
    if via_chart:
        step(f"helm install guardmesh {chart.parent.relative_to(REPO)} -f values-local.yaml (webhooks at {where.url})")
        try:
            install.helm_install(cluster, where)
        except install.DemoError as exc:
            via_chart = False
            note(f"{exc}")
    if not via_chart:
        step("NOT using the Helm chart: kubectl apply -f crds/, webhook configurations from the demo")
        install.apply_crds(cluster)
    step("starting the operator as a process (python -m guardmesh_operator run), webhooks on loopback")
    operator = stack.enter_context(install.operator(cluster, work / "operator", where, register_webhooks=not via_chart))
    note(f"operator pid {operator.proc.pid}, admission webhooks at {operator.webhook} (log: {operator.log_path})")


def apply_examples(cluster: Cluster, pattern_guard: Path) -> str:
    """Apply examples/ and wait for the operator; the bundle it rendered."""
    step(f"kubectl apply examples/ into namespace {NAMESPACE}")
    for path in examples.apply_examples(cluster, NAMESPACE, pattern_guard):
        note(path)
    step("waiting for the operator: SecurityGuards and Policies Ready, bundle rendered")
    examples.wait_ready(cluster, NAMESPACE, "securityguards", 9)
    policies = examples.wait_ready(cluster, NAMESPACE, "policies", 3)
    for line in cluster.kubectl("get", "securityguards", "-n", NAMESPACE).splitlines():
        note(line)
    return examples.rendered_bundle(cluster, NAMESPACE, policies)


def start_protected_servers(
    stack: ExitStack, cluster: Cluster, work: Path, bundle: str, collector: processes.Collector
) -> dict[str, processes.Sidecar]:
    """Each example server and, in front of it, the sidecar its injected pod would run."""
    sidecars = {}
    for app in examples.SERVERS:
        pod = examples.injected_pod(cluster, NAMESPACE, app)
        name = pod["metadata"]["name"]
        (work / name / "bundle").mkdir(parents=True)
        (work / name / "pod").mkdir()
        (work / name / "bundle" / "bundle.yaml").write_text(bundle)
        (work / name / "pod" / "labels").write_text(examples.downward_labels(pod))
        upstream = processes.start_server(stack, app)
        container = examples.sidecar_container(pod)
        sidecar = processes.start_sidecar(stack, work, pod, container, upstream, collector)
        step(f"{app}: pod {name} was injected; its sidecar runs here in front of {upstream}")
        note("guardmesh-sidecar " + " ".join(a for a in sidecar.argv[1:] if not a.startswith("--audit-log")))
        sidecars[app] = sidecar
    return sidecars


def report(outcomes: list[attacks.Outcome]) -> list[attacks.Outcome]:
    """Print the table; the outcomes whose expected decisions did not all happen."""
    rows: list[tuple[str, ...]] = []
    for o in outcomes:
        message = f"{o.server}: {o.message}"
        if not o.verdicts:
            rows.append((message, "-", "allow", o.got[:70]))
        for v in o.verdicts:
            guard, decision = attacks.verdict(v)
            rows.append((message, guard, decision, str(v["reason"])[:90]))
            message = ""
    print()
    print(table(("message", "guard", "decision", "reason (or what the client got)"), rows))
    print()
    for o in outcomes:
        if "leaks" in o.message:
            print(f"What the agent got from lookup_customer: {o.got}")
    return [o for o in outcomes if o.missing]


def in_pods(
    stack: ExitStack, cluster: PodsCluster, work: Path, pattern_guard: Path
) -> tuple[list[attacks.Outcome], processes.Collector]:
    """The demo on the real node: everything runs in pods; the client here reaches them through their Services."""
    note(f"kube-apiserver {cluster.server}; node {cluster.state()['pods']['node']} (containerd + runc, kubelet)")
    for name, ref in sorted(cluster.images.items()):
        note(f"image {name}: {ref}")
    cluster.kubectl("create", "namespace", NAMESPACE)
    cluster.kubectl("label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted")
    step("the OpenTelemetry Collector as a pod (examples/telemetry/collector.yaml, image built here)")
    collector_ip = pods.apply_collector(cluster, NAMESPACE)
    step(f"helm install guardmesh charts/guardmesh (operator as a pod; sidecars export to {collector_ip}:4317)")
    pods.helm_install(cluster, collector_ip)
    step("publishing the WASM pattern guard to an OCI registry on the node's link (TLS, cluster CA)")
    wasm_url = stack.enter_context(pods.wasm_registry(cluster, work, pattern_guard))
    note(wasm_url)
    step(f"kubectl apply examples/ into namespace {NAMESPACE}")
    for path in pods.apply_examples(cluster, NAMESPACE, wasm_url, pattern_guard):
        note(path)
    step("waiting for the operator: SecurityGuards and Policies Ready, pods injected and Ready 2/2")
    examples.wait_ready(cluster, NAMESPACE, "securityguards", 9, timeout=120)
    examples.wait_ready(cluster, NAMESPACE, "policies", 3, timeout=120)
    for line in cluster.kubectl("get", "securityguards", "-n", NAMESPACE).splitlines():
        note(line)
    urls, audits = {}, {}
    for app in examples.SERVERS:
        pod = pods.ready_pod(cluster, NAMESPACE, app)
        name = pod["metadata"]["name"]
        urls[app] = pods.service_url(cluster, NAMESPACE, app)
        pods.wait_serving(urls[app])
        audits[app] = stack.enter_context(pods.audit_log(cluster, NAMESPACE, name, work / f"{app}-audit.jsonl"))
        step(f"{app}: pod {name} Ready with its sidecar; Service {urls[app]}")
    for line in cluster.kubectl("get", "pods,policies", "-n", NAMESPACE).splitlines():
        note(line)
    step("a real MCP client (Python SDK) attacks both servers through their Services")
    outcomes: list[attacks.Outcome] = []
    asyncio.run(attacks.attack_everything(urls["everything"], audits["everything"], outcomes))
    asyncio.run(attacks.attack_evil_weather(urls["evil-weather"], audits["evil-weather"], outcomes))
    spans = pods.collector_spans_file(cluster, NAMESPACE)
    return outcomes, processes.Collector(f"{collector_ip}:4317", spans)


def as_processes(
    stack: ExitStack, work: Path, collector_bin: Path, pattern_guard: Path
) -> tuple[list[attacks.Outcome], processes.Collector]:
    """The demo on a KWOK plane: the operator, the servers, their sidecars and the collector as processes here."""
    step("starting the local control plane (hack/cluster up, private dir)")
    cluster = stack.enter_context(running_cluster(work / "plane"))
    note(f"kube-apiserver {cluster.server}")
    install_guardmesh(stack, cluster, work)
    bundle = apply_examples(cluster, pattern_guard)
    step("starting a real OpenTelemetry Collector with examples/telemetry/collector-config.yaml")
    collector = processes.start_collector(stack, work, collector_bin)
    with ExitStack() as servers:
        sidecars = start_protected_servers(servers, cluster, work, bundle, collector)
        for line in cluster.kubectl("get", "policies", "-n", NAMESPACE).splitlines():
            note(line)
        step("a real MCP client (Python SDK) attacks both servers through their sidecars")
        outcomes: list[attacks.Outcome] = []
        asyncio.run(attacks.attack_everything(sidecars["everything"].url, sidecars["everything"].audit, outcomes))
        asyncio.run(attacks.attack_evil_weather(sidecars["evil-weather"].url, sidecars["evil-weather"].audit, outcomes))
        step("stopping the sidecars (they flush their spans) and the servers")
    return outcomes, collector


def main() -> int:
    started = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        collector_bin, pattern_guard = prepare()
        with ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="guardmesh-demo-")))
            note(f"working dir {work} (removed at the end)")
            cluster: PodsCluster | None = None
            if os.environ.get("GUARDMESH_DEMO_MODE", "pods") == "pods":
                step("starting a one-node cluster with real pods (hack/cluster up --pods; hack/cluster images)")
                try:
                    cluster = pods.start(stack, work)
                except ClusterError as exc:
                    step("FALLING BACK to the process mode: the container runtime could not start here")
                    for line in str(exc).splitlines()[-12:]:
                        note(line)
            if cluster is not None:
                outcomes, collector = in_pods(stack, cluster, work, pattern_guard)
            else:
                outcomes, collector = as_processes(stack, work, collector_bin, pattern_guard)
            failed = report(outcomes)
            spans = wait_for_spans(collector)
            print(f"Traces: OTLP/gRPC to the collector at {collector.grpc}, written to {collector.spans_file.name};")
            print(
                f"        it received {sum(spans.values())} spans: "
                + ", ".join(f"{k} {v}" for k, v in sorted(spans.items()))
            )
            show_trace(collector, "tools/call get_news")
            step("stopping the collector, the operator and the control plane")
    except KeyboardInterrupt:
        print("\ninterrupted: every process the demo started was stopped", file=sys.stderr)
        return 130
    except (install.DemoError, TimeoutError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    for o in failed:
        print(f"EXPECTED BUT MISSING: {o.server}: {o.message}: {sorted(o.missing)} (the client got: {o.got})")
    if failed or not spans:
        print("demo failed: " + ("an expected guard decision did not happen" if failed else "no spans arrived"))
        return 1
    print(f"\nDone in {time.monotonic() - started:.0f} s; every process stopped, the plane removed.")
    return 0


def show_trace(collector: processes.Collector, name: str) -> None:
    """One blocked message as the collector stored it: its span and the guard evaluations on it."""
    span = collector.span(name)
    if span is None:
        print(f"(no span named {name!r} arrived)")
        return
    print(f"The trace of the blocked call: span {name!r}, trace id {span.get('traceId')}, with one event per guard:")
    for event in span["events"]:
        if event["name"] == names.GUARD_EVENT:
            reason = str(event.get(names.GUARD_REASON) or "")[:70]
            guard, decision = event.get(names.GUARD_NAME), event.get(names.GUARD_DECISION)
            print(f"  {event.get(names.GUARD_PHASE, ''):<9} {guard:<18} {decision:<7} {reason}")


def wait_for_spans(collector: processes.Collector) -> dict[str, int]:
    """Span counts once they stop growing (the collector batches and flushes every few hundred ms)."""
    last: dict[str, int] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = collector.spans()
        if now and now == last:
            return now
        last = now
    return last


if __name__ == "__main__":
    sys.exit(main())
