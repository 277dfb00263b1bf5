#!/usr/bin/env bash
# Build the local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok) from Go modules.
#
# Usage: controlplane/build.sh [OUT_DIR]
# OUT_DIR defaults to the version-keyed cache folder that core/demo/controlplane
# looks in; a complete OUT_DIR is left alone, so a warm run costs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../core/demo/controlplane-versions.env
source "$here/../core/demo/controlplane-versions.env"
key="k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}"
out="${1:-${HOTCLONE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotclone}/controlplane/$key}"
bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

# envtest's convention: users who already have the binaries skip the build.
if [[ -z "${1:-}" && -n "${KUBEBUILDER_ASSETS:-}" ]] \
  && [[ -x "$KUBEBUILDER_ASSETS/etcd" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]]; then
  echo "using the control plane in KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  exit 0
fi

complete=1
for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || complete=0; done
if [[ $complete == 1 ]]; then
  echo "control plane already built in $out"
  exit 0
fi

# go.mod/go.sum are committed: builds are reproducible and never edit them.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
mkdir -p "$out.partial"
start=$(date +%s)

minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=${KUBERNETES_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

echo "building etcd ${ETCD_VERSION}"
(cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$out.partial/etcd" go.etcd.io/etcd/server/v3)

echo "building kubernetes ${KUBERNETES_VERSION} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)"
(cd "$here/k8s" && go build -trimpath -ldflags "$k8s_ldflags" -o "$out.partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl)

echo "building kwok ${KWOK_VERSION}"
(cd "$here/kwok" && go build -trimpath -ldflags "-s -w" -o "$out.partial/kwok" sigs.k8s.io/kwok/cmd/kwok)

# Publish atomically: a half-built folder is never mistaken for a complete one.
rm -rf "$out"
mv "$out.partial" "$out"
echo "control plane built in $out in $(( $(date +%s) - start ))s"
