#!/usr/bin/env bash
# Build the Python WebAssembly guard guards/examples/spoofing-guard with componentize-py (pinned in
# pyproject.toml, installed in .venv by `make python`) into
# $GM_CACHE/guards/<hash of sources and tool versions>/spoofing-guard.wasm.
# Last line on stdout: that file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# build_python_guard: build (or find in the cache) the spoofing guard; prints the component's path.
build_python_guard() {
  local py="${GM_ROOT}/.venv/bin/python" cpy="${GM_ROOT}/.venv/bin/componentize-py"
  [[ -x ${cpy} ]] || die "componentize-py is not in .venv; run make python"
  local example=guards/examples/spoofing-guard sdk=guards/sdk/python
  local versions key out
  versions="$("${cpy}" --version) $("${py}" -c 'import importlib.metadata as m; print(m.version("confusable-homoglyphs"))')"
  key="$( { printf '%s\n' "${versions}"; cd "${GM_ROOT}" \
    && find guards/wit "${sdk}" "${example}" sidecar/guardmesh/engine/confusables.py -type f \( -name '*.py' -o -name '*.wit' \) \
       -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-12)"
  out="${GM_CACHE}/guards/${key}"
  if [[ ! -f "${out}/.done" ]]; then
    lock "python-guard-${key}"
  fi
  if [[ ! -f "${out}/.done" ]]; then
    log "building ${example} with $("${cpy}" --version)"
    rm -rf "${out}.tmp"
    mkdir -p "${out}.tmp/gen"
    (cd "${GM_ROOT}" && "${py}" "${example}/gen_confusables.py" "${out}.tmp/gen/_confusables.py")
    # --stub-wasi: the guest gets no WASI at all (the sidecar grants none), only guardmesh:guard/host.
    (cd "${GM_ROOT}" && "${cpy}" -d guards/wit -w guard-world componentize --stub-wasi \
      -p "${sdk}" -p "${example}" -p "${out}.tmp/gen" app -o "${out}.tmp/spoofing-guard.wasm") >&2
    rm -rf "${out}.tmp/gen" "${out}"
    mv "${out}.tmp" "${out}"
    touch "${out}/.done"
  fi
  printf '%s\n' "${out}/spoofing-guard.wasm"
}

build_python_guard
