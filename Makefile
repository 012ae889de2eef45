# The verbs people type. Each wraps npm (or a project script) so that a fresh clone needs only `npm ci` first.
NPM ?= npm

.PHONY: all install build typecheck test run java-interop clean

all: build

node_modules: package.json package-lock.json
	$(NPM) ci
	@touch node_modules

install: node_modules

build: node_modules
	$(NPM) run build

typecheck: node_modules
	$(NPM) run typecheck

test: node_modules
	$(NPM) test

# namesrv + broker in one process, data in ./data
run: node_modules
	$(NPM) start

# Official Apache RocketMQ Java client for the interop tests (Maven Central, cached in ~/.m2 and .cache/)
java-interop:
	scripts/java-interop-build.sh

clean:
	rm -rf broker/dist .cache/interop

# SYNC_MASTER vs ASYNC_MASTER send rate (ratio printed) and replication lag under load, real processes
bench-replication: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning bench/replication-bench.ts $(BENCH_ARGS)

# A slave down while SIZE_MB (default 1024) is written, then its catch-up time and a checksum comparison
bench-replication-catchup: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning bench/replication-catchup.ts --size-mb $(or $(SIZE_MB),1024)
