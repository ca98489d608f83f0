#!/usr/bin/env bash
# Build a real OpenTelemetry Collector (hack/otelcol/builder-config.yaml) with the official
# collector builder, into $GM_CACHE/bin/otelcol-<version>-<config hash>.
# Last line on stdout: the path of the collector binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILDER_VERSION=v0.162.0   # go.opentelemetry.io/collector/cmd/builder; keep = core version in config
cfg="${GM_ROOT}/hack/otelcol/builder-config.yaml"
key="$( { printf '%s\n' "${BUILDER_VERSION}"; cat "${cfg}" "${GM_ROOT}"/hack/otelcol/stubs/*/*; } | sha256sum | cut -c1-12)"
bin="${GM_CACHE}/bin/otelcol-${BUILDER_VERSION}-${key}"

[[ -x "${bin}" ]] || lock "otelcol-${key}"
if [[ ! -x "${bin}" ]]; then
  if ! command -v go >/dev/null; then
    [[ -x /usr/local/go/bin/go ]] || die "go not found (need Go >= 1.26)"
    PATH="/usr/local/go/bin:${PATH}"
  fi
  start=${SECONDS}
  builder="${GM_CACHE}/tools/ocb-${BUILDER_VERSION}/builder"
  if [[ ! -x "${builder}" ]]; then
    log "installing collector builder ${BUILDER_VERSION}"
    if ! out="$(GOBIN="$(dirname "${builder}")" go install \
        "go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}" 2>&1)"; then
      printf '%s\n' "${out}" >&2
      die "could not install the collector builder"
    fi
  fi
  work="${GM_CACHE}/build/otelcol-${key}"
  rm -rf "${work}"
  mkdir -p "${work}" "${GM_CACHE}/bin"
  trap 'rm -rf "${work}"' EXIT
  cp -R "${GM_ROOT}/hack/otelcol/stubs" "${work}/stubs"
  sed "s|^\(  output_path:\).*|\1 ${work}/src|" "${cfg}" >"${work}/builder-config.yaml"
  log "building otelcol (builder ${BUILDER_VERSION}, config ${key}); a cold build takes minutes"
  # The builder runs `go build -trimpath -ldflags="-s -w"` itself; keep its chatter in a log.
  if ! (cd "${work}" && "${builder}" --config=builder-config.yaml --ldflags="-s -w" >build.log 2>&1); then
    tail -n 40 "${work}/build.log" >&2
    die "collector build failed"
  fi
  "${work}/src/otelcol-guardmesh" --version >/dev/null
  mv -f "${work}/src/otelcol-guardmesh" "${bin}.tmp.$$"
  mv -f "${bin}.tmp.$$" "${bin}"
  log "built ${bin} in $((SECONDS - start))s"
fi
printf '%s\n' "${bin}"
