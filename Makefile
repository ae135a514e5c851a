# Quick start:  make demo   |   make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.gca_mm-installed
REQS   := requirements/runtime.txt requirements/mmselfsup.txt requirements/tests.txt requirements/constraints.txt setup.py
DEMO_DIR ?= data/demo
WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install test demo lock clean-venv

install: $(STAMP)

# Re-runs only when a pin file changed or the venv is new; otherwise a no-op.
$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade-strategy only-if-needed \
		-r requirements/runtime.txt -r requirements/mmselfsup.txt -r requirements/tests.txt \
		-c requirements/constraints.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -c "import gca_mm, mmpretrain, mmselfsup; print('gca_mm', gca_mm.__version__, 'ready')"
	@touch $(STAMP)

test: install
	$(PY) -m pytest -n 2 tests $(PYTEST_ARGS)

demo: install
	$(PY) tools/demo.py --data-root $(DEMO_DIR) --work-dir $(WORK_DIR)

lock: install
	$(PIP) freeze --exclude-editable | grep -v -i '^gca' | \
		{ echo '# Full resolved set of the tested environment (pip -c). Regenerate with: make lock'; cat; } \
		> requirements/constraints.txt.tmp && mv requirements/constraints.txt.tmp requirements/constraints.txt

clean-venv:
	rm -rf $(VENV)
