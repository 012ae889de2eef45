#!/usr/bin/env bash
# pki.sh DIR NODE_IP NODE_NAME API_PORT: a throwaway CA and the certificates/kubeconfigs of the local cluster.
# apiserver serving cert (node IP, the kubernetes Service IP and names), admin (system:masters, also used by
# the controller-manager, scheduler, kube-proxy and CoreDNS), kubelet (system:node:NAME), service-account keys.
set -euo pipefail
P=${1:?dir}; NODE_IP=${2:?node ip}; NODE=${3:?node name}; PORT=${4:-6443}
mkdir -p "$P"; cd "$P"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 365 -subj "/CN=tern-local-cluster-ca" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:%s,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' "$NODE_IP" >apiserver.ext
printf 'extendedKeyUsage=clientAuth\n' >client.ext
cert() { # name subject extfile
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 365 -extfile "$3" 2>/dev/null
  rm -f "$1.csr"
}
cert apiserver "/CN=kube-apiserver" apiserver.ext
cert admin "/O=system:masters/CN=admin" client.ext
cert kubelet "/O=system:nodes/CN=system:node:$NODE" client.ext
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
kubeconfig() { # file cert
  local k=$1.kubeconfig
  kubectl config --kubeconfig="$k" set-cluster tern-local --server="https://$NODE_IP:$PORT" --certificate-authority=ca.crt --embed-certs >/dev/null
  kubectl config --kubeconfig="$k" set-credentials "$2" --client-certificate="$2.crt" --client-key="$2.key" --embed-certs >/dev/null
  kubectl config --kubeconfig="$k" set-context tern-local --cluster=tern-local --user="$2" >/dev/null
  kubectl config --kubeconfig="$k" use-context tern-local >/dev/null
}
kubeconfig admin admin
kubeconfig kubelet kubelet
