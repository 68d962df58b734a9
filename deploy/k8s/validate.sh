#!/usr/bin/env bash
# Render the kustomize base and every overlay and check them, without a cluster.
#   deploy/k8s/validate.sh [KUBERNETES_VERSION]      (default: the validator's newest)
# Needs kubectl (built-in kustomize) or kustomize. Optional, used when on PATH:
#   kubernetes-validate   pip install kubernetes-validate (bundles the OpenAPI schemas)
#   docker compose        checks ../../docker-compose.yml with dummy secrets
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if command -v kubectl >/dev/null; then
  render() { kubectl kustomize "$1"; }
elif command -v kustomize >/dev/null; then
  render() { kustomize build "$1"; }
else
  echo "validate.sh: needs kubectl or kustomize" >&2
  exit 2
fi

status=0
for dir in "$here/base" "$here"/overlays/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  render "$dir" >"$out/$name.yaml"
  echo "rendered $name: $(grep -c '^kind:' "$out/$name.yaml") objects"
  if command -v kubernetes-validate >/dev/null; then
    kubernetes-validate --strict --quiet ${1:+-k "$1"} "$out/$name.yaml" || status=1
  fi
done
command -v kubernetes-validate >/dev/null \
  && echo "schemas: ok unless listed above" \
  || echo "schemas: skipped (pip install kubernetes-validate)"

if docker compose version >/dev/null 2>&1; then
  # Dummy values: compose refuses to interpolate the file while a secret is unset.
  POSTGRES_PASSWORD=x RABBITMQ_PASSWORD=x KEYUAN_SECRET_KEY=x KEYUAN_DATA_KEY=k1:x \
    KEYUAN_INDEX_KEY=x docker compose -f "$root/docker-compose.yml" config -q \
    && echo "docker-compose.yml: ok" || status=1
else
  echo "docker-compose.yml: skipped (no docker compose plugin)"
fi
exit $status
