#!/usr/bin/env bash
# Build the Rust WebAssembly guards (examples, test guests, the marshalling bench guest) as
# wasm32-wasip2 components into $GM_CACHE/guards/<hash of sources and toolchain>/<crate>.wasm.
# Last line on stdout: that directory. Also builds the Python guard (hack/build-python-guard.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

crates=(guards/examples/pattern-guard tests/guests/hostile hack/bench/marshal-guest)
command -v cargo >/dev/null || die "cargo not found (install Rust with rustup)"
rustc_version="$(rustc --version)"
key="$( { printf '%s\n' "${rustc_version}"; cd "${GM_ROOT}" \
  && find guards/wit guards/sdk/rust "${crates[@]}" -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.wit' -o -name 'Cargo.lock' \) \
     -not -path '*/target/*' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-12)"
out="${GM_CACHE}/guards/${key}"

[[ -f "${out}/.done" ]] || lock "guards-${key}"
if [[ ! -f "${out}/.done" ]]; then
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    log "adding the wasm32-wasip2 target"
    rustup target add wasm32-wasip2 >&2
  fi
  export CARGO_TARGET_DIR="${GM_CACHE}/build/cargo-wasm"
  mkdir -p "${out}.tmp"
  for crate in "${crates[@]}"; do
    log "building ${crate}"
    (cd "${GM_ROOT}/${crate}" && cargo build --quiet --locked --release --target wasm32-wasip2 -j2) >&2
    name="$(sed -n 's/^name = "\(.*\)"/\1/p' "${GM_ROOT}/${crate}/Cargo.toml" | head -1)"
    cp "${CARGO_TARGET_DIR}/wasm32-wasip2/release/${name//-/_}.wasm" "${out}.tmp/${name}.wasm"
  done
  rm -rf "${out}"
  mv "${out}.tmp" "${out}"
  touch "${out}/.done"
fi

# The Python guard (guards/examples/spoofing-guard) has its own script, sources and cache key.
build_python_guards() {
  bash "${GM_ROOT}/hack/build-python-guard.sh" >/dev/null
}
build_python_guards
printf '%s\n' "${out}"
