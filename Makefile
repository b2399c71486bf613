# Two commands on a fresh machine: `make run` (the gateway with embedded defaults) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test lint types unit protos contract bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

# ganache: a real JSON-RPC chain node for the anchoring tests, pinned in package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/carbon-gateway up --demo

test: $(STAMP) $(NODE_STAMP) lint types
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy .

protos: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

contract: $(STAMP)
	$(BIN)/python scripts/build_contract.py

bench: $(STAMP)
	$(BIN)/python bench/transfers.py

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
