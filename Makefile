# Two commands for a fresh machine with Python 3.10+ and make:
#   make docs   build the rendered docs (runs every example) into docs/_build/html
#   make test   lint, unit tests, and every example run as a notebook (nbval)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := build/notebooks
SPHINXOPTS ?= -W --keep-going

.PHONY: docs test lint unit nbval notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[docs,tests]"
	touch $(STAMP)

docs: $(STAMP)
	$(BIN)/sphinx-build $(SPHINXOPTS) -b html -c . docs docs/_build/html
	@echo "Docs built: open $(CURDIR)/docs/_build/html/index.html"

notebooks: $(STAMP)
	rm -rf $(NOTEBOOKS)
	mkdir -p $(NOTEBOOKS)
	cd examples && find . -name 'plot_*.py' -exec cp --parents {} ../$(NOTEBOOKS) \;
	find $(NOTEBOOKS) -name 'plot_*.py' -exec $(BIN)/sphinx_gallery_py2jupyter {} + >/dev/null
	find $(NOTEBOOKS) -name 'plot_*.py' -delete
	@echo "Notebooks written to $(NOTEBOOKS)/. Open them with: $(BIN)/jupyter lab $(NOTEBOOKS)"

lint: $(STAMP)
	$(BIN)/ruff check helpers examples tests benchmarks
	$(BIN)/ruff format --check helpers examples tests benchmarks
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest helpers tests

nbval: notebooks
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:doctest $(NOTEBOOKS) -o addopts=""

test: lint unit nbval

clean:
	rm -rf build docs/_build docs/auto_examples docs/generated
