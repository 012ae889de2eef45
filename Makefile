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

# Seeded, replayable store fault injection; ITER iterations (100), SEED replays a run, FLUSH=ASYNC reports the loss
# window instead of failing on it, MIN_ACKED overrides the minimum of acknowledged messages (default 10 per iteration).
# By default (FS=lazy) the store sits on lazyfs (scripts/lazyfs, FUSE: needs root, /dev/fuse and Go; built once and
# cached in ~/.cache/tern/lazyfs), which drops every unsynced byte at each SIGKILL, so an ack given before fdatasync
# shows up as a loss. FS=plain: SIGKILL (the page cache survives) plus torn tails and bit flips past the acked end.
faults: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning src/tools/faults/fault-run.ts --iterations $(or $(ITER),100) $(if $(SEED),--seed $(SEED)) --flush $(or $(FLUSH),SYNC) --fs $(or $(FS),lazy) $(if $(MIN_ACKED),--min-acked $(MIN_ACKED))

# Store append rate against a bare sequential write loop (128 B / 1 KiB / 4 KiB, ratio printed), and restart time
# on a RESTART_GB GiB CommitLog (default 10) after a clean stop and after SIGKILL
bench-timer: node_modules
	cd broker && ../node_modules/.bin/node --expose-gc --disable-warning=ExperimentalWarning src/tools/timer-bench.ts --pending $(or $(PENDING),1000000) --burst $(or $(BURST),100000)
.PHONY: bench-timer

# The issue's 100k pending timers through kill -9, SIGTERM and restarts (too slow for npm test, which runs 20k)
test-timer-restart: node_modules
	cd broker && TERN_TIMER_RESTART_TOTAL=$(or $(TOTAL),100000) ../node_modules/.bin/vitest run test/timer/timer-restart-process.test.ts
.PHONY: test-timer-restart

bench-store: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning src/tools/store-bench.ts --mb $(or $(BENCH_MB),256) --restart-gb $(or $(RESTART_GB),10)
.PHONY: faults bench-store

# Conformance suite: the same scenarios (Java client, Go client, mqadmin, captured fixtures) against Tern or
# Apache RocketMQ 5.3.3 from Maven Central; prints `scenario | result` and `N/M pass` (interop/README.md)
TARGET ?= tern
interop: node_modules
	node_modules/.bin/node interop/conformance/run.ts --target $(TARGET)

interop-all: node_modules
	node_modules/.bin/node interop/conformance/run.ts --target apache; apache=$$?; \
	node_modules/.bin/node interop/conformance/run.ts --target tern; tern=$$?; \
	test $$apache -eq 0 -a $$tern -eq 0
.PHONY: interop interop-all

# Kubernetes operator (operator/, crds/, charts/tern-operator/; operator/README.md)
# CRDs from the TypeScript types in operator/src/api, into crds/ and the chart's crds/ (a test fails when they differ)
crds: node_modules
	$(NPM) run --workspace operator crds

# kube-apiserver + kube-controller-manager (Go modules, K8S_VERSION v1.34.4), etcd, helm and kubectl, cached in
# $(or $(TERN_K8S_CACHE),~/.cache/tern/k8s); a first build takes ~5-6 min on 2 cores, later calls are instant
k8s-binaries: node_modules
	scripts/k8s/ensure-binaries.sh

# Render tests, then the integration tests on a real kube-apiserver + etcd + kube-controller-manager
test-operator: node_modules
	$(NPM) run --workspace operator test

helm-lint: node_modules
	"$$(scripts/k8s/ensure-tools.sh)/helm" lint --strict charts/tern-operator
.PHONY: crds k8s-binaries test-operator helm-lint

# A real single-node Kubernetes on this machine (scripts/cluster/, e2e/README.md): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, CoreDNS (Go modules, cached), containerd/runc/CNI from
# Debian, Tern's images imported. Writes .cache/cluster/kubeconfig.
cluster-up: image
	scripts/cluster/up.sh

cluster-down:
	scripts/cluster/down.sh

# The end-to-end suite against $$KUBECONFIG (default: the local cluster's): Helm install, BrokerCluster, traffic,
# master kill, image roll, scale 3 -> 2, delete. Re-imports images into the local cluster first when it is up.
e2e: node_modules
	@if [ -z "$$KUBECONFIG" ] && [ -S /run/tern-cluster/containerd.sock ]; then scripts/cluster/load-images.sh; fi
	node_modules/.bin/vitest run --config e2e/vitest.config.ts
.PHONY: cluster-up cluster-down e2e

# Container images (issue 7): docker.io/local/tern and docker.io/local/tern-operator, tagged TAG (default: the chart's
# appVersion) and dev, on docker.io/local/node:24-bookworm-slim built here (debootstrap + this repo's Node + npm; no
# registry needed). Starts one docker engine if none answers (scripts/image/dockerd.sh). IMAGE_SAVE_DIR=DIR also
# writes `docker save` tarballs for `ctr -n k8s.io images import` (scripts/image/save-images.sh).
image: node_modules
	$(if $(TAG),TAG=$(TAG) )$(if $(IMAGE_SAVE_DIR),SAVE_DIR=$(IMAGE_SAVE_DIR) )scripts/image/build-images.sh
.PHONY: image

# The same suite on kind, where kind can create a cluster (not on these machines: no registry for its node image).
# Creates KIND_CLUSTER if missing, loads the three images, runs the suite with that cluster's kubeconfig.
KIND ?= kind
KIND_CLUSTER ?= tern-e2e
e2e-kind: image
	@command -v $(KIND) >/dev/null || { echo "e2e-kind: no kind binary (go install sigs.k8s.io/kind@v0.30.0)" >&2; exit 1; }
	$(KIND) get clusters | grep -qx $(KIND_CLUSTER) || $(KIND) create cluster --name $(KIND_CLUSTER) --wait 120s
	$(KIND) load docker-image docker.io/local/tern:dev docker.io/local/tern:next docker.io/local/tern-operator:dev --name $(KIND_CLUSTER)
	mkdir -p .cache/kind && $(KIND) get kubeconfig --name $(KIND_CLUSTER) > .cache/kind/kubeconfig
	KUBECONFIG=$(CURDIR)/.cache/kind/kubeconfig node_modules/.bin/vitest run --config e2e/vitest.config.ts
.PHONY: e2e-kind

# Seeded Raft core simulation: SEEDS runs per cluster size (3 and 5 nodes; npm test runs 100 each); SEED (+ SIZE) replays one run
raft-sim: node_modules
	cd broker && RAFT_SIM_SEEDS=$(or $(SEEDS),1000) $(if $(SEED),RAFT_SIM_SEED=$(SEED)) $(if $(SIZE),RAFT_SIM_SIZE=$(SIZE)) ../node_modules/.bin/vitest run --testTimeout=3600000 test/raft/raft-simulation.test.ts
.PHONY: raft-sim

# A 3-member RaftGroup on 127.0.0.1 in one process: proposals/s (1 KiB entries) and leader stop -> new leader (p50/max of 10)
bench-raft-group: node_modules
	cd broker && TERN_LOG_LEVEL=$(or $(TERN_LOG_LEVEL),error) ../node_modules/.bin/node --disable-warning=ExperimentalWarning bench/raft-group-bench.ts $(BENCH_ARGS)
.PHONY: bench-raft-group

# Real processes on 127.0.0.1: Raft group send TPS / SYNC_MASTER + slave send TPS (ratio printed); leader SIGKILL ->
# first acknowledged send, p50/max over 10 kills, with a PNG chart of the send rate (BENCH_ARGS: --chart FILE);
# a follower's catch-up rate after CATCHUP_MB (default 256) MiB written while it was down
bench-raft: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning bench/raft-bench.ts --catchup-mb $(or $(CATCHUP_MB),256) $(BENCH_ARGS)
.PHONY: bench-raft

# Seeded Raft fault run as root: 3 brokers in their own network namespaces (scripts/raft-netns.sh, 10.99.0.0/24),
# leader SIGKILLs, isolations and asymmetric cuts healed again, under 3 producers with ack logs and a consumer;
# RUNS runs (1) of FAULTS faults (6) each, SEED replays one. Fails on an acknowledged message lost or divergent CommitLogs.
raft-faults: node_modules
	cd broker && ../node_modules/.bin/node --disable-warning=ExperimentalWarning src/tools/raft-faults/raft-fault-run.ts --runs $(or $(RUNS),1) --faults $(or $(FAULTS),6) $(if $(SEED),--seed $(SEED))
.PHONY: raft-faults
