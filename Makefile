# Two commands for a fresh machine with Python 3.10+, make and Java 17+ (the Spark lesson), and
# Node.js 20+ with npm (the live lesson; without it, its page cannot run the model):
#   make docs   build the rendered docs (runs every example) into docs/_build/html
#   make test   lint, unit tests, and every example run as a notebook (nbval)
# Both install the exact versions of requirements/lock.txt into .venv first.
# make docs also installs onnxruntime-web, which the live lesson's page runs, with npm: exactly the
# versions of web/package-lock.json, into web/node_modules.
#   make lock         rewrite requirements/lock.txt after editing pyproject.toml's dependencies
#   make UNLOCKED=1 test   the same, against the newest releases pyproject.toml allows (.venv-unlocked)
#   make site-check   open every page of docs/_build/html in headless Chromium (tools/site_check.py)
#   make dist         build the sdist and the wheel into build/dist (make docs ships the wheel)
#   make outside-check   install the site's wheel in a fresh environment outside the checkout and run
#                     the tool and three of the site's notebooks there (tools/outside_check.sh)
#   make node-check   run the live lesson's model with the site's onnxruntime-web in Node
#                     (tools/node_check.mjs; needs node and a built site)
PYTHON ?= python3
# onnxruntime 1.29+ sends usage telemetry from every process that imports it (Linux, macOS);
# nothing here needs a network, so every command make runs has it off.
export ORT_DISABLE_TELEMETRY := 1
ifdef UNLOCKED
VENV ?= .venv-unlocked
else
VENV ?= .venv
endif
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
NOTEBOOKS := build/notebooks
DIST := build/dist
SITE := docs/_build/html
SPHINXOPTS ?= -W --keep-going
# uv installs the locked environment in seconds where pip takes minutes, and writes the lock.
# Pinned so that every machine writes and reads the lock with the same resolver and format;
# 0.13.9 is the release the lock was made with. Raise it deliberately, then run `make lock`.
UV_VERSION := 0.13.9
# One lock for every supported Python (3.10 up) and platform, with the hashes of every file.
LOCK_FLAGS := --extra docs --extra tests --universal --python-version 3.10 --generate-hashes

.PHONY: docs test lint unit nbval notebooks clean lock lock-upgrade site-check dist outside-check \
	node-check web-ort web-modules

ifdef UNLOCKED
INSTALL_FROM := pyproject.toml
else
INSTALL_FROM := pyproject.toml $(LOCK)
endif

# --compile-bytecode: the .pyc files are written once, at install. Where PYTHONDONTWRITEBYTECODE is
# set (CI machines often set it), Python never writes them, and every notebook kernel and test process
# would compile scikit-learn, scipy, pandas and the rest from source again on import.
UV_INSTALL := $(UV) pip install --python $(BIN)/python --compile-bytecode

$(STAMP): $(INSTALL_FROM)
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)" \
	  || echo "make: could not install uv $(UV_VERSION); installing with pip instead (slower)"
ifdef UNLOCKED
	@echo "make: installing the newest releases pyproject.toml allows into $(VENV) (not the lock)"
	@if [ -x $(UV) ]; then $(UV_INSTALL) --upgrade -e ".[docs,tests]"; \
	else $(BIN)/python -m pip install --quiet --upgrade -e ".[docs,tests]"; fi
else
	@echo "make: installing the versions of $(LOCK) into $(VENV)"
	@if [ -x $(UV) ] && $(UV) pip sync --python $(BIN)/python --compile-bytecode $(LOCK) \
	  && $(UV_INSTALL) --no-deps -e .; then :; else \
	  echo "make: uv could not install $(LOCK); trying pip with the same lock (slower)"; \
	  $(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK) \
	  && $(BIN)/python -m pip install --quiet --no-deps -e . || exit 1; fi
	@if [ -x $(UV) ] && $(UV) pip install --python $(BIN)/python --dry-run -e ".[docs,tests]" 2>&1 \
	  | grep '^ + ' | grep -v ' + train-convert-predict'; then \
	  echo "make: $(LOCK) lacks the packages above that pyproject.toml asks for: run 'make lock'"; \
	  exit 1; fi
endif
	touch $(STAMP)

$(LOCK):
	@echo "make: $(LOCK) is missing: write it with 'make lock'"; exit 1

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Keeps every pinned version that pyproject.toml still allows and adds what is new.
lock: $(UV)
	mkdir -p $(dir $(LOCK))
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --quiet -o $(LOCK)
	@echo "make: wrote $(LOCK); commit it with the pyproject.toml change"

# Moves every pin to the newest release pyproject.toml allows.
lock-upgrade: $(UV)
	mkdir -p $(dir $(LOCK))
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --quiet --upgrade -o $(LOCK)
	@echo "make: wrote $(LOCK); rebuild with 'make docs test' and read the diff before committing"

# uv builds the sdist, then the wheel from the unpacked sdist (so nothing stale under build/ gets in).
dist: $(STAMP)
	rm -rf $(DIST)
	@if [ -x $(UV) ]; then $(UV) build --quiet --out-dir $(DIST) .; else \
	  echo "make: no uv; building the wheel alone with pip"; \
	  $(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(DIST) .; fi
	@ls $(DIST)

# The live lesson (examples/07_beyond_python) runs its model in the reader's browser with
# onnxruntime-web, pinned by web/package-lock.json. The site serves the two files it needs from
# _static/ort/ (nothing is loaded from elsewhere): the WebAssembly back end alone, as one ES module
# with its loader bundled in, and the .wasm it fetches (about 14 MB; the page runs it on one thread).
# npm ci --ignore-scripts: exactly the locked versions, and no install script runs.
WEB_ORT := web/node_modules/onnxruntime-web/dist
ORT_FILES := ort.wasm.bundle.min.mjs ort-wasm-simd-threaded.wasm
WEB_STAMP := web/node_modules/.installed

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# examples/07_beyond_python/plot_02 runs its models in Node with web/node_modules' onnxruntime-web
# when it finds them, so the docs and the notebooks install them first; without npm the lesson says
# that it skips that part.
web-modules:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(WEB_STAMP); else \
	  echo "make: no npm: the lesson that runs onnxruntime-web in Node skips that part"; fi

# Copies the files into the built site: sphinx-build leaves _static/ort alone.
web-ort: $(WEB_STAMP)
	rm -rf $(SITE)/_static/ort
	mkdir -p $(SITE)/_static/ort
	cp $(addprefix $(WEB_ORT)/,$(ORT_FILES)) $(SITE)/_static/ort/
	@du -ch $(SITE)/_static/ort/* | tail -1 | sed 's|total|copied to $(SITE)/_static/ort/ (onnxruntime-web)|'

# The site ships the wheel (the landing page links _downloads/<wheel>): the package is not on PyPI.
# Without npm the site is built all the same; the live lesson's page then says that its runtime
# is missing instead of running the model.
docs: dist web-modules
	$(BIN)/sphinx-build $(SPHINXOPTS) -b html -c . docs $(SITE)
	rm -f $(SITE)/_downloads/*.whl
	mkdir -p $(SITE)/_downloads
	cp $(DIST)/*.whl $(SITE)/_downloads/
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory web-ort; else \
	  echo "make: no npm: the live lesson's page cannot run its model (install Node.js 20+ with npm, then make docs)"; fi
	@echo "Docs built: open $(CURDIR)/$(SITE)/index.html"

notebooks: $(STAMP)
	rm -rf $(NOTEBOOKS)
	mkdir -p $(NOTEBOOKS)
	cd examples && find . -name 'plot_*.py' -exec cp --parents {} ../$(NOTEBOOKS) \;
	find $(NOTEBOOKS) -name 'plot_*.py' -exec $(BIN)/sphinx_gallery_py2jupyter {} + >/dev/null
	find $(NOTEBOOKS) -name 'plot_*.py' -delete
	@echo "Notebooks written to $(NOTEBOOKS)/. Open them with: $(BIN)/jupyter lab $(NOTEBOOKS)"

lint: $(STAMP)
	$(BIN)/ruff check helpers examples tests benchmarks tools
	$(BIN)/ruff format --check helpers examples tests benchmarks tools
	$(BIN)/lint-imports

# The tests and the notebooks run on every CPU this process may use (helpers.usable_cpus: the
# affinity mask and a container's quota), one test file or one notebook per worker at a time.
# Timings printed by notebooks run side by side are noisier than the site's (make docs runs the
# lessons one by one); make JOBS=1 test runs everything in one process.
JOBS ?= $(shell $(BIN)/python -c "from helpers.machine import usable_cpus; print(usable_cpus())" 2>/dev/null || echo 1)
PARALLEL = $(if $(filter-out 0 1,$(JOBS)),-n $(JOBS) --dist loadfile)

unit: $(STAMP)
	$(BIN)/python -m pytest helpers tests $(PARALLEL)

nbval: notebooks web-modules
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:doctest $(NOTEBOOKS) -o addopts="" $(PARALLEL)

test: lint unit nbval

# Lesson code wider than the column (about 90 characters at 1280 px) fails the check;
# examples/ruff.toml keeps lesson lines at 88 characters. --allow-overflow only lists them.
SITE_CHECK_FLAGS ?=

# Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)
# and a built site (make docs); it does not rebuild the docs itself.
# On the live lesson's page it also runs the model in the browser, compares its answers with
# scikit-learn's and prints its load size, load time and latency.
site-check: $(STAMP)
	@test -f docs/_build/html/index.html || { echo "make: no docs/_build/html yet: run 'make docs' first"; exit 1; }
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "make: site-check needs Chromium and its driver: sudo apt-get install chromium chromium-driver"; \
	  exit 2; }
	$(BIN)/python tools/site_check.py docs/_build/html --out build/site-check $(SITE_CHECK_FLAGS)

# The live lesson's model, rows and scikit-learn answers, read from its built page, run with the
# onnxruntime-web files the site serves, in Node (the same ES module and .wasm as the browser).
node-check:
	@test -f $(SITE)/_static/ort/ort.wasm.bundle.min.mjs || { \
	  echo "make: no $(SITE)/_static/ort yet: run 'make docs' first"; exit 1; }
	@command -v node >/dev/null || { \
	  echo "make: node-check needs Node.js 20 or newer (node on PATH): none found"; exit 2; }
	node tools/node_check.mjs $(SITE)

# A reader's view, outside the checkout: the site's wheel in a fresh virtual environment in a
# temporary folder (versions from the lock), its command-line tool, and three of the site's
# notebooks run there. Needs a built site (make docs); CI runs it.
outside-check: $(STAMP)
	@test -f $(SITE)/index.html || { echo "make: no $(SITE) yet: run 'make docs' first"; exit 1; }
	@test -x $(UV) || { echo "make: outside-check installs with uv, and $(UV) is missing"; exit 1; }
	PYTHON=$(PYTHON) UV=$(CURDIR)/$(UV) tools/outside_check.sh $(SITE)

clean:
	rm -rf build docs/_build docs/auto_examples docs/generated
