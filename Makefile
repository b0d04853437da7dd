# One task runner: CI calls `make test`; newcomers call `make run`.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: install run ingest test test-fast lint eval bench bench-app bench-facts bench-formats bench-intake load clean browser fonts postgres

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(VENV)/bin/assistant ingest

# headless always: no first-run prompt (Streamlit's e-mail question), with or without a terminal; the address is
# printed, and opened in the browser where there is a desktop
run: ingest
	@echo "答复函助手：http://$(HOST):$(PORT)（Ctrl+C 停止）"
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -z "$(HEADLESS)" ]; then \
		(sleep 4; $(PY) -m webbrowser -t "http://$(HOST):$(PORT)" >/dev/null 2>&1) & fi
	$(VENV)/bin/streamlit run streamlit_app.py --server.address $(HOST) --server.port $(PORT) \
		--browser.gatherUsageStats false --server.headless true < /dev/null

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Debian's Chromium for the browser test (a test tool's own browser download fails here); skipped if not root.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
		|| echo "chromium is not installed: the browser test will be skipped"

# Debian's Noto CJK fonts render the scanned-letter fixtures of the OCR tests (skipped without them); the
# product reads every format without any system package.
fonts:
	@[ -e /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
		|| echo "fonts-noto-cjk is not installed: the OCR tests and bench-formats need it (apt-get install fonts-noto-cjk)"

# Debian's PostgreSQL 15 for the case store's tests on PostgreSQL (tests/pg.py starts a throwaway server in a
# tmp dir); skipped if not root, and those tests are skipped without it.
postgres:
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
		|| echo "postgresql is not installed: the PostgreSQL tests will be skipped (apt-get install postgresql)"

test: lint browser fonts postgres
	$(PY) -m pytest -q

# the inner loop: everything but the tests marked integration (real embedder, chroma server, browser, subprocesses)
test-fast:
	$(PY) -m pytest -q -m "not integration" -x

# Both question sets: the project's on corpus/, the dev set on corpus/ + the 30 real dev documents in their
# own store (data/eval-dev), then metadata accuracy against the dev truth (tuned and held-out apart).
DEV_DATA ?= data/eval-dev
eval: ingest
	$(VENV)/bin/assistant eval eval/questions.jsonl --out eval/out
	ASSISTANT_DATA_DIR=$(DEV_DATA) $(VENV)/bin/assistant ingest corpus $(wildcard eval/corpora/dev/*.txt)
	ASSISTANT_DATA_DIR=$(DEV_DATA) $(VENV)/bin/assistant eval eval/dev-questions.jsonl --out eval/out-dev \
		--baseline eval/baseline-dev.json
	$(PY) eval/metadata_accuracy.py

bench: install
	$(PY) benchmarks/bench_retrieval.py

# facts that stay true: planted conflicts/stale figures/commitments/wording, real-letter false flags, newest figure
bench-facts: install
	$(PY) benchmarks/bench_facts.py

# proposal intake: field accuracy and asks F1 on eval/proposals (txt, docx table/paragraphs, a rendered scan)
bench-intake: install
	$(PY) benchmarks/bench_intake.py

# letters with co-handling opinions: point/figure coverage, misattributions, frame lifted, blank asks on
# eval/cases (tuned and held-out apart, plus the real case 20230368's six figures)
.PHONY: bench-cases
bench-cases: install
	$(PY) benchmarks/bench_cases.py

bench-formats: install fonts
	$(PY) benchmarks/bench_formats.py

bench-app: ingest browser
	$(PY) benchmarks/bench_app.py

load: ingest
	$(PY) benchmarks/load_test.py --data-dir data --users 8 --seconds 30

clean:
	rm -rf data eval/out eval/out-dev .pytest_cache .mypy_cache
