# formcam: two commands do all the set-up (see README "Quick start").
#   make demo   create .venv, install formcam, analyse the sample video
#   make test   create .venv, install formcam with test tools, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.formcam-installed

.PHONY: demo test test-all lint app clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/formcam analyze sample_videos/side_phantom.mp4 --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests models sample_videos app.py
	$(BIN)/mypy

app: $(STAMP)
	$(BIN)/streamlit run app.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
