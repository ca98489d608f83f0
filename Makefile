# GuardMesh developer entry points. Everything a fresh machine lacks is installed by `make deps`
# into caches outside the repo (~/.cache/guardmesh, ~/.cache/uv); a warm machine skips it in seconds.

SHELL := /bin/bash
export GUARDMESH_CACHE ?= $(HOME)/.cache/guardmesh
UV_VERSION := 0.13.9
UV := $(GUARDMESH_CACHE)/tools/uv-$(UV_VERSION)/bin/uv
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never
# Debian's CPython is built with profile-guided optimisation, like the official container images;
# a pyenv build usually is not (about 15% slower here). Use it when the machine has it.
VENV_PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3.11)
PYTEST_ARGS ?=

.PHONY: fuzz help deps python peers corpora otelcol dex guards cluster-bins images apt test lint typecheck imports unit e2e bench quality demo clean crds chart-values

help:
	@echo "make demo   - local control plane, operator, examples, attacks on two MCP servers and the guards at work"
	@echo "make test   - lint, type check, import layers, unit and end-to-end tests"
	@echo "make quality - each guard against the labelled corpora (docs/quality-results.md)"
	@echo "make bench  - latency, CPU and memory of the sidecar against a direct baseline"
	@echo "make fuzz   - 10^6 inputs through the parser, relay and engine (atheris); new finds kept in tests/fuzz/corpus"

$(UV):
	@echo "installing uv $(UV_VERSION) into $(GUARDMESH_CACHE)/tools"
	@python3 -m venv $(GUARDMESH_CACHE)/tools/uv-$(UV_VERSION)
	@$(GUARDMESH_CACHE)/tools/uv-$(UV_VERSION)/bin/pip install -q uv==$(UV_VERSION)

python: $(UV)
	@$(UV) sync --frozen --quiet --all-groups --all-extras --python $(VENV_PYTHON)

peers:
	@bash hack/install-peers.sh >/dev/null

# The quality corpora and real MCP servers (cold: npm ci of ~2,000 packages, 18 server venvs, 57 captures).
corpora: python
	@nice -n 10 bash hack/quality/corpora.sh >/dev/null

otelcol:
	@bash hack/build-otelcol.sh >/dev/null

# Dex, the OpenID provider of the identity tests, built from its Go modules (hack/dex/go.mod).
dex:
	@bash hack/build-dex.sh >/dev/null

# The Rust WebAssembly guards (examples, test guests) into $(GUARDMESH_CACHE)/guards/<source hash>.
guards:
	@bash hack/build-guards.sh >/dev/null

# etcd, kube-apiserver, controller-manager, scheduler, KWOK and helm for hack/cluster (a cold build takes ~30 min),
# and kubelet, kube-proxy, kube-router, pause and CoreDNS for its real node (`hack/cluster up --pods`).
cluster-bins: python apt
	@hack/cluster build --pods >/dev/null

# The container images of `hack/cluster up --pods` (operator, sidecar, the example servers, the collector), built with
# buildah from a Debian base and cached by source hash: a cold build takes ~9 min, longer than a test may wait.
images: cluster-bins peers otelcol
	@hack/cluster images --examples --build-only >/dev/null

apt:
	@bash hack/install-apt.sh

deps: python apt peers otelcol dex guards cluster-bins images corpora

lint: python
	$(PY) -m ruff check sidecar operator tests hack examples
	$(PY) -m ruff format --check sidecar operator tests hack examples

typecheck: python
	$(PY) -m mypy

imports: python
	.venv/bin/lint-imports

unit: python
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

e2e: deps
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

test: deps lint typecheck imports
	$(PY) -m pytest tests $(PYTEST_ARGS)

# EXAM=1: the final exam of issue 10 only (gm-exam, mcp-servers-exam); the lead runs it once, at the end.
quality: deps
	$(PY) hack/quality/evaluate.py $(if $(EXAM),--exam)

bench: deps apt
	$(PY) hack/bench/run.py
	taskset -c 1 $(PY) hack/bench/wasm.py | tee docs/bench/wasm.txt
	taskset -c 1 $(PY) hack/bench/wasm_python_guest.py | tee docs/bench/wasm-python-guest.txt
	$(PY) hack/bench/webhook.py --out docs/bench/operator
	$(PY) hack/bench/auth.py --out docs/bench/auth.json
	bash hack/detect/model.sh >/dev/null
	taskset -c 1 $(PY) hack/bench/learned.py | tee docs/bench/learned.txt

# Coverage-guided fuzzing of the parser, classifier, relay and engine (tests/fuzz); `make test` replays the kept corpus.
fuzz: python
	nice -n 10 $(PY) -m tests.fuzz.campaign --runs $(or $(FUZZ_RUNS),1000000) --keep

demo: python  # the demo builds or finds the rest itself, with progress lines
	$(PY) hack/demo.py

crds: python
	$(PY) -m guardmesh_operator.crds --write
	$(PY) hack/gen_crd_docs.py --write

# charts/guardmesh/values.schema.json and the values table of docs/chart.md, from the comments in values.yaml.
chart-values: python
	$(PY) hack/chart-values.py --write

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
