#!/usr/bin/env bash
# Runs one Pulumi action on one stack, after checking that everything it needs is there.
#   scripts/stack.sh up|preview|rotate-now STACK [extra pulumi arguments...]
# `make up`, `make preview` and `make rotate-now` call it (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:?usage: scripts/stack.sh up|preview|rotate-now STACK [pulumi args...]}
stack=${2:?usage: scripts/stack.sh up|preview|rotate-now STACK [pulumi args...]}
shift 2

fail() {
  printf 'Cannot %s stack %s:\n' "$action" "$stack" >&2
  printf '  - %s\n' "$@" >&2
  exit 2
}

case "$action" in up | preview | rotate-now) ;; *) fail "unknown action '$action' (expected up, preview or rotate-now)" ;; esac
if [ ! -f "stacks/Pulumi.$stack.yaml" ]; then
  known=$(cd stacks && ls Pulumi.*.yaml 2>/dev/null | sed 's/^Pulumi\.//; s/\.yaml$//' | paste -sd, -)
  fail "there is no stack file stacks/Pulumi.$stack.yaml (committed stacks: ${known:-none})"
fi

missing=()
if ! command -v pulumi >/dev/null 2>&1; then
  missing+=("the Pulumi CLI: install it (https://www.pulumi.com/docs/iac/download-install/), open a new shell, and run this again")
fi
if [ -z "${CLOUDFLARE_API_TOKEN:-}" ]; then
  missing+=("CLOUDFLARE_API_TOKEN: a Cloudflare API token with 'Access: Organizations, Identity Providers, and Groups Write' (README, Prerequisites)")
fi
if [ -n "${ARM_CLIENT_ID:-}" ]; then
  if [ -z "${ARM_CLIENT_SECRET:-}${ARM_CLIENT_CERTIFICATE_PATH:-}${ARM_USE_OIDC:-}${ARM_OIDC_TOKEN:-}" ]; then
    missing+=("Entra credentials for ARM_CLIENT_ID: set ARM_USE_OIDC=true (CI), ARM_CLIENT_CERTIFICATE_PATH or ARM_CLIENT_SECRET, with ARM_TENANT_ID")
  fi
elif ! { command -v az >/dev/null 2>&1 && az account show --only-show-errors >/dev/null 2>&1; }; then
  missing+=("Entra credentials: run 'az login --allow-no-subscriptions' as a Cloud Application Administrator, or set ARM_CLIENT_ID and ARM_TENANT_ID for a service principal (README, Prerequisites)")
fi

# The embedded default backend: a local, git-ignored state folder inside the checkout.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && ! grep -q '^secretsprovider:' "stacks/Pulumi.$stack.yaml"; then
    missing+=("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the passphrase that encrypts the client secret in the local state; keep it safe")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  fail "${missing[@]}"
fi
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi

pulumi stack select --create --non-interactive "$stack" >/dev/null

# Every preview and deployment runs the security policy pack (policy/); prod with its stricter config.
policy=(--policy-pack policy)
if [ "$stack" = prod ]; then policy+=(--policy-pack-config policy/prod-config.json); fi

case "$action" in
  up) exec pulumi up "${policy[@]}" --stack "$stack" "$@" ;;
  preview) exec pulumi preview "${policy[@]}" --diff --stack "$stack" "$@" ;;
  rotate-now)
    urn=$(pulumi stack export --stack "$stack" | venv/bin/python -c '
import json, sys
resources = json.load(sys.stdin).get("deployment", {}).get("resources") or []
print(next((r["urn"] for r in resources
            if r.get("type") == "azuread:index/applicationPassword:ApplicationPassword"
            and r["urn"].endswith("::login-client-secret")), ""))
')
    [ -n "$urn" ] || fail "stack $stack has no client secret yet: deploy it first with 'make up STACK=$stack'"
    # Replacement creates the new secret, points Cloudflare at it, then deletes the old one.
    exec pulumi up "${policy[@]}" --stack "$stack" --replace "$urn" "$@"
    ;;
esac
