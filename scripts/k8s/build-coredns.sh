#!/usr/bin/env bash
# Builds a small CoreDNS (only the plugins the local cluster's Corefile uses) from the Go module proxy and
# caches it by version: $TERN_K8S_CACHE/coredns-$COREDNS_VERSION/coredns. Prints the binary's path last.
# (shared/k8s-harness.md §3.3: the full coredns main pulls every cloud SDK; this main does not.)
set -euo pipefail
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.1}"
CACHE="${TERN_K8S_CACHE:-$HOME/.cache/tern/k8s}"
OUT="$CACHE/coredns-$COREDNS_VERSION"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ -x "$OUT/coredns" ]]; then echo "$OUT/coredns"; exit 0; fi
[[ -x "$GO" ]] || { echo "build-coredns: no Go toolchain (set GO=/path/to/go)" >&2; exit 1; }
echo "build-coredns: building CoreDNS $COREDNS_VERSION (first time only)" >&2
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-coredns.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
"$GO" mod init tern-coredns >/dev/null 2>&1
cat > main.go <<'GO'
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The order plugins run in: CoreDNS takes it from this list, not from the Corefile.
func init() {
	dnsserver.Directives = []string{"bind", "reload", "errors", "health", "ready", "kubernetes", "loadbalance", "cache", "loop"}
}

func main() { coremain.Run() }
GO
"$GO" get "github.com/coredns/coredns@$COREDNS_VERSION"
"$GO" mod tidy
mkdir -p "$OUT"
"$GO" build -trimpath -ldflags "-s -w" -o "$OUT/coredns.partial" .
mv "$OUT/coredns.partial" "$OUT/coredns"
"$OUT/coredns" -version >&2 || true
echo "build-coredns: done in $(( $(date +%s) - started ))s" >&2
echo "$OUT/coredns"
