#!/usr/bin/env bash
# GuardMesh on a kind cluster, for machines with a Docker engine: create the cluster, build the operator
# and sidecar images, load them into kind, `helm install` the chart, apply the example guards, policy and
# MCP server. Without a running Docker engine it stops at once and says so: kind runs its nodes as
# containers, and nothing here can fake that. (`make demo` runs GuardMesh without Docker.)
#
#   hack/kind-up.sh            # cluster `guardmesh`, release `guardmesh` in guardmesh-system, example in mcp-demo
#   hack/kind-up.sh --down     # delete the cluster
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${GUARDMESH_CACHE:-${HOME}/.cache/guardmesh}"
KIND_VERSION="v0.29.0"          # its default node image is Kubernetes 1.33 (native sidecars, matchConditions)
CLUSTER="${KIND_CLUSTER:-guardmesh}"
NAMESPACE="guardmesh-system"
DEMO_NAMESPACE="mcp-demo"
VERSION="$(sed -n 's/^appVersion: "\(.*\)"/\1/p' "${root}/charts/guardmesh/Chart.yaml")"
say() { echo "[kind-up] $*" >&2; }
die() { echo "[kind-up] error: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed; this script needs a Docker engine (use \`make demo\` without one)"
if ! docker info >/dev/null 2>&1; then
    die "no Docker engine answers (\`docker info\` failed): start Docker, or use \`make demo\` for the local control plane without Docker"
fi
[[ -x "${root}/.venv/bin/python" ]] || die "run \`make python\` first"
kubectl="${root}/.venv/bin/kubectl"

kind="${cache}/kind-${KIND_VERSION}/kind"
if [[ ! -x "${kind}" ]]; then
    command -v go >/dev/null 2>&1 || die "Go is needed once to build kind ${KIND_VERSION}"
    say "building kind ${KIND_VERSION} into ${kind%/kind}"
    GOBIN="${kind%/kind}" go install "sigs.k8s.io/kind@${KIND_VERSION}"
fi
if [[ "${1:-}" == "--down" ]]; then
    exec "${kind}" delete cluster --name "${CLUSTER}"
fi
helm="$("${root}/hack/cluster" build)/helm"   # helm built from its Go module, shared with the local plane

if ! "${kind}" get clusters | grep -qx "${CLUSTER}"; then
    say "creating kind cluster ${CLUSTER}"
    "${kind}" create cluster --name "${CLUSTER}" --wait 120s
fi
export KUBECONFIG="${cache}/kind-${CLUSTER}.kubeconfig"
"${kind}" get kubeconfig --name "${CLUSTER}" >"${KUBECONFIG}"

for image in operator sidecar; do
    say "building guardmesh/${image}:${VERSION}"
    docker build -f "${root}/${image}/Dockerfile" -t "guardmesh/${image}:${VERSION}" "${root}"
    "${kind}" load docker-image "guardmesh/${image}:${VERSION}" --name "${CLUSTER}"
done

say "installing the chart (operator-managed webhook certificate)"
"${helm}" upgrade --install guardmesh "${root}/charts/guardmesh" -n "${NAMESPACE}" --create-namespace \
    --set operator.image.pullPolicy=Never --wait --timeout 5m
"${kubectl}" wait --for=condition=Established --timeout=60s crd/securityguards.guardmesh.dev crd/policies.guardmesh.dev

say "applying the example guards, policy and MCP server in ${DEMO_NAMESPACE}"
"${kubectl}" create namespace "${DEMO_NAMESPACE}" --dry-run=client -o yaml | "${kubectl}" apply -f -
"${kubectl}" apply -n "${DEMO_NAMESPACE}" -f "${root}/examples/operator/guards.yaml" -f "${root}/examples/operator/policy.yaml"
"${kubectl}" apply -n "${DEMO_NAMESPACE}" -f "${root}/examples/operator/mcp-server.yaml"
"${kubectl}" rollout status -n "${DEMO_NAMESPACE}" deployment/everything --timeout=5m
"${kubectl}" get securityguards,policies,pods -n "${DEMO_NAMESPACE}"
say "done: export KUBECONFIG=${KUBECONFIG}; kubectl port-forward -n ${DEMO_NAMESPACE} svc/everything 8080:80 serves MCP at http://127.0.0.1:8080/mcp through the sidecar"
