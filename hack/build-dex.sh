#!/usr/bin/env bash
# Build Dex, a real OpenID Connect provider, from its Go modules (hack/dex/go.mod pins the version) into
# $GM_CACHE/bin/dex-<hash of hack/dex>. The identity e2e tests run it as the authorization server of real
# MCP clients. Last line on stdout: the path of the binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="${GM_ROOT}/hack/dex"
key="$(sha12 "${src}/go.mod" "${src}/go.sum" "${src}/tools.go")"
bin="${GM_CACHE}/bin/dex-${key}"

[[ -x "${bin}" ]] || lock "dex-${key}"
if [[ ! -x "${bin}" ]]; then
  if ! command -v go >/dev/null; then
    [[ -x /usr/local/go/bin/go ]] || die "go not found (need Go >= 1.25)"
    PATH="/usr/local/go/bin:${PATH}"
  fi
  start=${SECONDS}
  mkdir -p "${GM_CACHE}/bin"
  log "building dex (${key}); a cold build takes a few minutes"
  # cgo: this Dex version declares its SQLite storage only when built with cgo (the tests use memory storage).
  command -v gcc >/dev/null || die "gcc not found (Dex's SQLite driver needs cgo)"
  if ! out="$(cd "${src}" && CGO_ENABLED=1 nice -n 19 go build -trimpath -ldflags="-s -w" \
      -o "${bin}.tmp.$$" github.com/dexidp/dex/cmd/dex 2>&1)"; then
    printf '%s\n' "${out}" | tail -n 40 >&2
    rm -f "${bin}.tmp.$$"
    die "dex build failed"
  fi
  "${bin}.tmp.$$" version >/dev/null
  mv -f "${bin}.tmp.$$" "${bin}"
  log "built ${bin} in $((SECONDS - start))s"
fi
printf '%s\n' "${bin}"
