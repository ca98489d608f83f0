#!/usr/bin/env bash
# Install the Debian tools the benchmarks and tests use, only if missing: wrk (load generator), nginx
# (nginx-light where the release has it, else nginx; a static upstream baseline), docker-registry
# (the OCI registry the WASM module source tests push to), and what the real node of `hack/cluster up --pods`
# runs and builds its images with: containerd, runc, the CNI plugins, iptables, ipset, buildah, mmdebstrap,
# and a C compiler for the pause binary.
# Needs root (or passwordless sudo) when something is missing. Prints nothing to stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

have_nginx() { command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
have_nginx || missing+=(nginx)
have_registry() { command -v docker-registry >/dev/null || [[ -x /usr/bin/docker-registry ]]; }
have_registry || missing+=(docker-registry)
# The node of `hack/cluster up --pods` (each command with the package that brings it).
for pair in containerd:containerd runc:runc ctr:containerd iptables:iptables ipset:ipset buildah:buildah \
    mmdebstrap:mmdebstrap cc:gcc; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
done
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
[[ -f /usr/include/stdio.h ]] || missing+=(libc6-dev)
((${#missing[@]} == 0)) && exit 0

sudo=()
[[ ${EUID} -eq 0 ]] || sudo=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
log "apt-get update (missing: ${missing[*]})"
"${sudo[@]}" apt-get update -qq >/dev/null
pkgs=()
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
for m in "${missing[@]}"; do
  if [[ ${m} == nginx ]] && apt-cache show nginx-light >/dev/null 2>&1; then m=nginx-light; fi
  pkgs+=("${m}")
done
log "apt-get install ${pkgs[*]}"
# Docker-style images ship /usr/sbin/policy-rc.d (exit 101), so nginx is not started as a service.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
{ command -v wrk >/dev/null && have_nginx && have_registry && command -v containerd >/dev/null && command -v buildah >/dev/null; } ||
  die "install finished but some of ${pkgs[*]} are still missing"
log "installed ${pkgs[*]}"
