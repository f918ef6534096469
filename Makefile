# Two commands: `make demo` (set up + run the offline demo) and `make test` (set up + run the tests).
# `make docs` builds the manual (docs/ -> site/); `make screenshots` retakes its pictures (from the listed demo, output/demo-listed).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup system-packages demo test docs screenshots clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# CPU build of torch first (argostranslate -> stanza -> torch); otherwise pip takes a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,docs]'
	touch $@

setup: $(VENV)/.installed

# The Debian packages the tests use (chromium, omegat, postgresql): listed once in
# .ci/apt-packages; installed when missing (as root with apt-get), else one line says what to install.
system-packages:
	@.ci/system-packages

demo: setup
	$(VENV)/bin/newsbridge demo --output output/demo

test: system-packages setup
	$(PY) -m pytest -q

docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

screenshots: setup
	$(VENV)/bin/newsbridge demo --listed --output output/demo-listed
	$(PY) docs/screenshots.py --output output/demo-listed
	$(PY) docs/review_screenshot.py --output output/demo-listed

clean:
	rm -rf $(VENV) output/demo output/demo-listed site
