# Two commands on a fresh machine: `make run` (the gateway with embedded defaults) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Debian's chromium, for the browser test of the reconciliation report's HTML (Playwright drives it).
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint types contract-check unit protos contract docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

# Node tools pinned in package-lock.json: ganache (a real JSON-RPC chain node for the anchoring
# tests), buf (contract-check) and grpc-js with proto-loader (examples/node_client.js).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

run: $(STAMP)
	$(BIN)/carbon-gateway up --demo

# The browser test's chromium, as one more prerequisite of `test`.
test: $(CHROMIUM)
# Three test processes on two cores: most of the suite's time is waiting on Temporal, the
# registries and the chain (a two-process run keeps the cores about 65 % busy).
test: $(STAMP) $(NODE_STAMP) lint types contract-check
	$(BIN)/pytest -q -n 3 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy .

# buf lint (protos/buf.yaml) and buf breaking against the released protos/releases/v1.binpb.
contract-check: $(STAMP) $(NODE_STAMP)
	$(BIN)/python scripts/buf_check.py

protos: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

contract: $(STAMP)
	$(BIN)/python scripts/build_contract.py

docs: $(STAMP)
	$(BIN)/python scripts/proto_docs.py
	$(BIN)/python scripts/role_table.py

bench: $(STAMP)
	$(BIN)/python bench/transfers.py

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
