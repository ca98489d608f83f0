# shellcheck shell=bash
# Shared helpers for hack/*.sh. Source it; do not execute it.
# GM_CACHE: root of everything heavy we build or download (outside the repo).
GM_CACHE="${GUARDMESH_CACHE:-${HOME}/.cache/guardmesh}"
GM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GM_CACHE GM_ROOT

# log MSG...: short progress line on stderr (stdout is reserved for results).
log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# die MSG...: log and exit 1.
die() { log "error: $*"; exit 1; }

# sha12 FILE...: first 12 hex chars of the sha256 of the concatenated files.
sha12() { cat "$@" | sha256sum | cut -c1-12; }

# lock NAME: wait for an exclusive lock held until the script exits (parallel test workers).
lock() {
  mkdir -p "${GM_CACHE}/.locks"
  exec 9>"${GM_CACHE}/.locks/$1.lock"
  flock 9
}
