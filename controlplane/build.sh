#!/usr/bin/env bash
# Build the local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok) and the helm CLI
# from Go modules.
#
# Usage: controlplane/build.sh [OUT_DIR]
# OUT_DIR defaults to the version-keyed cache folder that core/demo/controlplane
# looks in; helm goes to its own folder next to it (helm-$HELM_VERSION), so a new
# helm never forces a rebuild of Kubernetes. A complete folder is left alone, so
# a warm run costs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../core/demo/controlplane-versions.env
source "$here/../core/demo/controlplane-versions.env"
key="k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}"
cache="${HOTCLONE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotclone}/controlplane"
out="${1:-$cache/$key}"
helm_out="$cache/helm-${HELM_VERSION}"
bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

# go.mod/go.sum are committed: builds are reproducible and never edit them.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"

build_control_plane() {
  # envtest's convention: users who already have the binaries skip the build.
  if [[ -z "${1:-}" && -n "${KUBEBUILDER_ASSETS:-}" ]] \
    && [[ -x "$KUBEBUILDER_ASSETS/etcd" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]]; then
    echo "using the control plane in KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    return 0
  fi

  local complete=1 b
  for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || complete=0; done
  if [[ $complete == 1 ]]; then
    echo "control plane already built in $out"
    return 0
  fi

  mkdir -p "$out.partial"
  local start
  start=$(date +%s)

  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local k8s_ldflags="-s -w" pkg
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
}

build_helm() (
  if [[ -x "$helm_out/helm" ]]; then
    echo "helm already built in $helm_out"
    return 0
  fi
  cd "$here/helm"
  # The folder is named after HELM_VERSION: it must be the version go.mod pins.
  local pinned
  pinned="$(go list -m -f '{{.Version}}' helm.sh/helm/v3)"
  if [[ "$pinned" != "$HELM_VERSION" ]]; then
    echo "controlplane/helm/go.mod pins helm $pinned but HELM_VERSION is $HELM_VERSION" >&2
    return 1
  fi
  mkdir -p "$helm_out.partial"
  local start
  start=$(date +%s)

  # As helm's Makefile does: the version it reports, and the Kubernetes version
  # `helm template` assumes without a cluster (from the client-go it is built with).
  local client_go k8s_minor helm_ldflags="-s -w" pkg
  client_go="$(go list -m -f '{{.Version}}' k8s.io/client-go)"
  k8s_minor="${client_go#v0.}"; k8s_minor="${k8s_minor%%.*}"
  helm_ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  helm_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=${k8s_minor}"
  done

  echo "building helm ${HELM_VERSION}"
  go build -trimpath -ldflags "$helm_ldflags" -o "$helm_out.partial/helm" helm.sh/helm/v3/cmd/helm

  rm -rf "$helm_out"
  mv "$helm_out.partial" "$helm_out"
  echo "helm built in $helm_out in $(( $(date +%s) - start ))s"
)

build_control_plane "$@"
build_helm
