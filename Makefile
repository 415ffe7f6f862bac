# pet2rep: `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
# They create .venv on first use, install what they need, then run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# The CPU torch wheel; an unpinned torch pulls a multi-GB CUDA build.
CONSTRAINTS := -c constraints/cpu.txt
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_EVALUATE_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False \
	TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1
PYTEST_ARGS ?=

.PHONY: help demo lighteval-demo test quality style bench space space-bundle browser clean

help:
	@echo "make demo     run the benchmark loop on a synthetic cohort"
	@echo "make lighteval-demo  lighteval with a tiny random VLM on the demo build (installs the eval extra, CPU torch)"
	@echo "make test     install everything the tests need, then run them offline"
	@echo "make quality  ruff check + format check"
	@echo "make style    ruff fix + format"
	@echo "make bench    run the performance benchmarks"
	@echo "make space    run the leaderboard Space locally (on the demo build)"
	@echo "make space-bundle  assemble a deployable Space folder in space_bundle/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps: re-install when pyproject.toml changes. The demo's environment is the one every README step runs in,
# except the lighteval steps (make lighteval-demo adds the eval extra: lighteval, transformers, the CPU torch wheel).
$(VENV)/.demo-installed: pyproject.toml constraints/cpu.txt | $(BIN)/python
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[hf,metric,space]'
	touch $@

$(VENV)/.eval-installed: pyproject.toml constraints/cpu.txt | $(BIN)/python
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[hf,metric,space,eval]'
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints/cpu.txt | $(BIN)/python
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[all,dev]'
	touch $@

demo: $(VENV)/.demo-installed
	$(OFFLINE) $(BIN)/python -m pet2rep register-metric
	$(OFFLINE) $(BIN)/python demo/run_demo.py

# The README's tiny-VLM lighteval steps on the demo build, offline on CPU (the same three commands as the README).
TINY_VLM := results/tiny-vlm
lighteval-demo: $(VENV)/.eval-installed
	@test -e data/pet2rep/README.md || { echo "lighteval-demo: data/pet2rep not found: run 'make demo' first"; exit 1; }
	$(OFFLINE) $(BIN)/python -m pet2rep.testing tiny-vlm $(TINY_VLM)
	$(OFFLINE) PET2REP_DATASET=data/pet2rep $(BIN)/pet2rep-lighteval accelerate \
		"model_name=$(TINY_VLM),batch_size=4,generation_size=16" "pet2rep:fused|0,pet2rep:separate|0" \
		--custom-tasks pet2rep.lighteval.tasks --vision-model --save-details --output-dir results/lighteval
	$(OFFLINE) $(BIN)/pet2rep submission results/lighteval --out results/submission

# Chromium (and a small CJK font, so screenshots show the Chinese text) for the Space's browser test;
# the test skips with a reason where Chromium cannot be installed.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
browser:
	@if command -v chromium >/dev/null 2>&1 && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_PACKAGES) for the browser test"; \
	  (apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1)) || \
	  echo "$(BROWSER_PACKAGES) could not be installed: the browser test may be skipped"; \
	else echo "chromium absent and not installable here: the browser test will be skipped"; fi

test: $(VENV)/.test-installed browser
	$(OFFLINE) $(BIN)/python -m pytest $(PYTEST_ARGS)

quality: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

style: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.test-installed
	$(OFFLINE) $(BIN)/python benchmarks/run_all.py

# The leaderboard Space on the demo build (`make demo` writes data/pet2rep); without it the board is read-only.
space: $(VENV)/.demo-installed
	@test -e "$${PET2REP_REFERENCES:-data/pet2rep}" || echo "space: $${PET2REP_REFERENCES:-data/pet2rep} not found (run 'make demo' first): submissions are disabled"
	$(OFFLINE) PET2REP_REFERENCES="$${PET2REP_REFERENCES:-data/pet2rep}" PET2REP_DATA_DIR="$${PET2REP_DATA_DIR:-results/space_data}" \
		$(BIN)/python space/app.py

# A deployable Space folder (app, data layer, vendored pet2rep source; no references, no data).
space-bundle:
	$(PYTHON) space/bundle.py --out space_bundle

clean:
	rm -rf build dist .pytest_cache .ruff_cache results
