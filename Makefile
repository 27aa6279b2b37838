# Veil: `make run` opens the editor on the sample photo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check
SAMPLE := resources/sample.jpg

.PHONY: run test venv dev bench lint screenshot clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip wheel setuptools
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) install -e '.[dev,cluster]'
	touch $@

venv: $(VENV)/.installed
dev: $(VENV)/.dev-installed

run: venv
	$(VENV)/bin/veil $(SAMPLE)

test: dev
	bash scripts/system_deps.sh
	bash scripts/run_tests.sh -q

lint: dev
	$(VENV)/bin/lint-imports

bench: dev
	$(PY) bench/run_all.py

screenshot: dev
	bash scripts/render_screenshot.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Every shipped model rebuilt from DATA by the committed recipe (models/training/recipe) into runs/models/; only
# out-of-date stages run. INSTALL=1 then copies the build into models/; QUICK=1 is a tiny run that checks the
# recipe; ARGS passes more (ARGS=--dry-run, ARGS="--set segmenter.steps=3000").
DATA ?= ../shared/data
.PHONY: models
$(VENV)/.train-installed: $(VENV)/.dev-installed
	$(PIP) install -e '.[train]'
	touch $@

models: $(VENV)/.train-installed
	$(PY) -m models.training.recipe --data $(DATA) $(if $(INSTALL),--install) $(if $(QUICK),--quick) $(ARGS)

# One-folder app in dist/veil/ (installer/README.md); rebuilt only when a source, model (models/ and its subfolders,
# but not models/training/) or resource changed, or VEIL_BUNDLE_CPU_ONLY did.
.PHONY: dist dist-test FORCE
DIST_BIN := dist/veil/veil
DIST_SOURCES := $(shell find editor installer models resources -type f -not -path '*/__pycache__/*' \
                  -not -path 'models/training/*') pyproject.toml
DIST_FLAVOUR := build/dist-flavour
FLAVOUR := VEIL_BUNDLE_CPU_ONLY=$(VEIL_BUNDLE_CPU_ONLY)

# Rewritten only when the flavour changed, so its date tells make whether the bundle is stale.
$(DIST_FLAVOUR): FORCE
	@mkdir -p $(@D)
	@echo '$(FLAVOUR)' | cmp -s - $@ || echo '$(FLAVOUR)' > $@

$(VENV)/.dist-installed: $(VENV)/.installed
	$(PIP) install -e '.[dist]'
	touch $@

$(DIST_BIN): $(VENV)/.dist-installed $(DIST_SOURCES) $(DIST_FLAVOUR)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
		installer/veil-linux.spec
	touch $@

dist: $(DIST_BIN)
	@du -sh dist/veil

dist-test: $(DIST_BIN)
	bash tests/dist/smoke_test.sh $(DIST_BIN)
