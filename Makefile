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

# Seeded, replayable store fault injection: SIGKILL, torn tails, bit flips; ITER iterations (100), SEED replays a run,
# FLUSH=ASYNC reports the loss window instead of failing on it
faults: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning src/tools/faults/fault-run.ts --iterations $(or $(ITER),100) $(if $(SEED),--seed $(SEED)) --flush $(or $(FLUSH),SYNC)

# Store append rate against a bare sequential write loop (128 B / 1 KiB / 4 KiB, ratio printed), and restart time
# on a RESTART_GB GiB CommitLog (default 10) after a clean stop and after SIGKILL
bench-store: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning src/tools/store-bench.ts --mb $(or $(BENCH_MB),256) --restart-gb $(or $(RESTART_GB),10)
.PHONY: faults bench-store
