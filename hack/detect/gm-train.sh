#!/usr/bin/env bash
# Build gm-train (detect's generated training and development samples) into the cache, keyed by the
# generator's hash. Last line on stdout: the directory holding gm-train.jsonl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

src="${GM_ROOT}/hack/detect/gm_train"
py="${GM_ROOT}/.venv/bin/python"
[[ -x "${py}" ]] || die "no project venv (run make python first)"
# Benign documentation comes from the venv's pinned packages and the standard library, so uv.lock and
# the Python version are inputs too.
read -r site stdlib < <("${py}" -c 'import sysconfig as s; print(s.get_paths()["purelib"], s.get_paths()["stdlib"])')
out="${GM_CACHE}/detect/gm-train-$(sha12 "${src}"/*.py "${GM_ROOT}/uv.lock" <(printf '%s' "${stdlib}"))"
if [[ ! -f "${out}/.complete" ]]; then
  lock "detect-gm-train"
  if [[ ! -f "${out}/.complete" ]]; then
    mkdir -p "${GM_CACHE}/detect"
    tmp="$(mktemp -d "${GM_CACHE}/detect/.tmp-XXXXXX")"
    trap 'rm -rf "${tmp}"' EXIT
    PYTHONHASHSEED=0 nice -n 10 "${py}" "${src}/build.py" --out "${tmp}" --site "${site}" --stdlib "${stdlib}" >&2
    date -u +%Y-%m-%dT%H:%M:%SZ >"${tmp}/.complete"
    rm -rf "${out}"
    mv -T "${tmp}" "${out}"
    trap - EXIT
  fi
fi
printf '%s\n' "${out}"
