#!/usr/bin/env bash
# Validates the Kubernetes manifests of deploy/kubernetes, with no cluster:
#   1. renders the base and every overlay (each directory with a
#      kustomization.yaml) with `kubectl kustomize`;
#   2. validates every rendered object, and each YAML file an overlay keeps
#      beside it without applying it (prometheus-adapter-rules.yaml), against
#      the Kubernetes JSON schemas with kubernetes-validate --strict, offline
#      (the schemas ship in the package; the validator runs in a network
#      namespace of its own when `unshare --net` works);
#   3. checks the rules the manifests must keep (scripts/k8s/check.py policy):
#      pod security, token automount, /livez and /readyz probes, shutdown
#      timing, the shared PostgreSQL store, secrets, PDB, NetworkPolicy, HPA;
#   4. when an isobox binary is there (target/release/isobox, or $ISOBOX),
#      starts `isobox serve` on 127.0.0.1 with the rendered ConfigMap's
#      serve.toml (store swapped for memory) and checks it loads, answers
#      /livez, /readyz and /metrics and exports the autoscaler's metric.
#
# kubernetes-validate and its dependencies (scripts/k8s/requirements.txt,
# exact versions; Python 3.11+) are installed once into target/k8s-venv from
# PyPI, again only when requirements.txt changes. Idempotent; runs from any
# directory: `bash scripts/k8s/validate.sh`. One line per check; exits
# non-zero on the first stage that fails.
#
# Environment:
#   ISOBOX_K8S_VERSIONS        Kubernetes versions to validate against
#                              (default "1.31 1.37": oldest supported, newest bundled)
#   ISOBOX                     the isobox binary for stage 4 (default target/release/isobox)
#   ISOBOX_K8S_REQUIRE_PROBES  1: a 404 from /livez or /readyz fails stage 4
#                              (default 0: reported as skip, for builds before them)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
manifests=$root/deploy/kubernetes
out=$root/target/k8s
venv=$root/target/k8s-venv
requirements=$here/requirements.txt
read -r -a versions <<<"${ISOBOX_K8S_VERSIONS:-1.31 1.37}"
isobox=${ISOBOX:-$root/target/release/isobox}

fail() {
  echo "FAIL $*"
  echo "scripts/k8s/validate.sh: failed" >&2
  exit 1
}

command -v kubectl >/dev/null 2>&1 || fail "kubectl is not installed (it renders the kustomizations)"
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  fail "python3 is $(python3 -V 2>&1 | cut -d' ' -f2): the pins of scripts/k8s/requirements.txt need 3.11+"

# 1. Render. The base first, then every other kustomization, in name order.
rm -rf "$out/rendered"
mkdir -p "$out/rendered" "$out/cache"
dirs=("$manifests/base")
while IFS= read -r file; do
  dir=$(dirname "$file")
  [ "$dir" = "$manifests/base" ] || dirs+=("$dir")
done < <(find "$manifests" -name kustomization.yaml | LC_ALL=C sort)

labels=()
rendered=()
for dir in "${dirs[@]}"; do
  label=${dir#"$manifests/"}
  file=$out/rendered/${label//\//_}.yaml
  if ! kubectl kustomize "$dir" >"$file" 2>"$out/kustomize.err"; then
    fail "render $label: kubectl kustomize deploy/kubernetes/$label: $(cat "$out/kustomize.err")"
  fi
  count=$(grep -c '^kind:' "$file" || true)
  [ "$count" -gt 0 ] || fail "render $label: no objects"
  echo "ok   render $label ($count objects)"
  labels+=("$label")
  rendered+=("$file")
done

# YAML files kept beside a kustomization that it does not apply.
standalone=()
for dir in "${dirs[@]}"; do
  for file in "$dir"/*.yaml; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    [ "$name" = kustomization.yaml ] && continue
    grep -qE "^[[:space:]]*-[[:space:]]*$name[[:space:]]*$" "$dir/kustomization.yaml" && continue
    standalone+=("$file")
  done
done

# 2. Schemas, offline.
stamp=$venv/.isobox-requirements
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv $venv (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" ||
    fail "pip install -r scripts/k8s/requirements.txt into target/k8s-venv"
  echo "$want" >"$stamp"
  how="installed into target/k8s-venv"
else
  how="already in target/k8s-venv"
fi
validator_version=$("$venv/bin/kubernetes-validate" --version)
echo "ok   kubernetes-validate $validator_version ($how)"

offline=()
network="offline: own network namespace"
if unshare --net true >/dev/null 2>&1; then
  offline=(unshare --net --)
else
  network="no network namespace here (unshare --net refused); the schemas are still local"
fi
k_args=()
for version in "${versions[@]}"; do
  k_args+=(-k "$version")
done
for file in "${rendered[@]}" "${standalone[@]}"; do
  case $file in
    "$out"/rendered/*) what="rendered $(basename "$file" .yaml | tr _ /)" ;;
    *) what=${file#"$root/"} ;;
  esac
  status=0
  output=$("${offline[@]}" "$venv/bin/kubernetes-validate" --strict "${k_args[@]}" "$file" 2>&1) || status=$?
  problems=$(grep -vE '^INFO .* passed for resource ' <<<"$output" || true)
  if [ "$status" -ne 0 ] || [ -n "$problems" ]; then
    fail "schema $what (exit $status):"$'\n'"$problems"
  fi
  passed=$(grep -cE '^INFO .* passed for resource ' <<<"$output" || true)
  objects=$((passed / ${#versions[@]}))
  [ "$objects" -gt 0 ] || fail "schema $what: no object validated"
  noun=objects
  [ "$objects" -ne 1 ] || noun=object
  echo "ok   schema $what: $objects $noun valid against Kubernetes ${versions[*]} (--strict; $network)"
done

# 3. Policies.
policy_failed=0
for i in "${!rendered[@]}"; do
  extra=()
  dir=${dirs[$i]}
  for file in "${standalone[@]}"; do
    case $file in
      "$dir"/prometheus-adapter-rules.yaml) extra=(--adapter-rules "$file") ;;
    esac
  done
  "$venv/bin/python" "$here/check.py" policy "${labels[$i]}" "${rendered[$i]}" "${extra[@]}" || policy_failed=1
done
[ "$policy_failed" -eq 0 ] || fail "policy checks (the lines above)"

# 4. The real server, on the rendered config.
if [ -x "$isobox" ]; then
  "$venv/bin/python" "$here/check.py" serve base "${rendered[0]}" "$isobox" "$out/cache" "${rendered[@]}" ||
    fail "isobox serve on the rendered config (the lines above)"
else
  echo "skip isobox serve on the rendered config: no binary at ${isobox#"$root/"} (cargo build --release -p isobox-cli)"
fi

echo "ok   deploy/kubernetes: every check passed"
