#!/usr/bin/env bash
# Runs one action on one stack, after checking that everything it needs is there.
#   scripts/stack.sh up|preview|rotate-now STACK [extra pulumi arguments...]
#   scripts/stack.sh verify|adopt STACK [arguments of ops.verify / ops.adopt...]
# `make up`, `make preview`, `make rotate-now`, `make verify` and `make adopt` call it (see README).
# Checks run cheapest first and before anything slow: the stack file, its config
# (scripts/check_stack.py), credentials and passphrase, then the pinned Pulumi CLI
# (scripts/pulumi_cli.py, which may download it), and only then the policy pack's venv.
# VENV_PYTHON overrides the interpreter (default venv/bin/python); tests point it at a fake.
set -euo pipefail
cd "$(dirname "$0")/.."

usage='usage: scripts/stack.sh up|preview|rotate-now|verify|adopt STACK [arguments...]'
action=${1:?$usage}
stack=${2:?$usage}
shift 2
python=${VENV_PYTHON:-venv/bin/python}

fail() {
  printf 'Cannot %s stack %s:\n' "$action" "$stack" >&2
  printf '  - %s\n' "$@" >&2
  exit 2
}

case "$action" in
  up | preview | rotate-now | verify | adopt) ;;
  *) fail "unknown action '$action' (expected up, preview, rotate-now, verify or adopt)" ;;
esac
if [ ! -x "$python" ]; then
  fail "$python is missing: run 'make install' first (or use 'make $action STACK=$stack')"
fi
# A missing stack file, placeholders and bad config stop here, before any credential is asked for
# or anything downloaded. The stack file is found by the project's one rule (.yaml or .yml,
# config/stack_files.py), and read by it for its secretsprovider.
secrets_provider=$("$python" scripts/check_stack.py --print-secrets-provider -- "$stack") || exit 2

missing=()
# verify and adopt check their Entra and Cloudflare credentials themselves (ops/).
case "$action" in
  up | preview | rotate-now)
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
    ;;
esac

# The embedded default backend: a local, git-ignored state folder inside the checkout.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
  # Without a secretsprovider (or with the passphrase one), the state's secrets need the passphrase.
  case "$secrets_provider" in
    "" | default | passphrase)
      if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
        missing+=("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the passphrase that encrypts the client secret in the local state; keep it safe")
      fi
      ;;
  esac
fi

if [ ${#missing[@]} -gt 0 ]; then
  fail "${missing[@]}"
fi

# The Pulumi CLI of the pinned version (.pulumi.version), first on PATH for everything below.
cli=$("$python" scripts/pulumi_cli.py) || exit 2
PATH="$(dirname "$cli"):$PATH"
export PATH
# The version is pinned on purpose: no "a newer version is available" notices.
export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
# Pulumi's uv toolchain (Pulumi.yaml) syncs venv before it runs the program (`uv run`, or
# `uv sync --inexact`): frozen, uv takes uv.lock as committed, as `make install` did, and never
# re-locks or rewrites it.
export UV_FROZEN=1

if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi

case "$action" in
  verify) exec "$python" -m ops.verify --stack "$stack" "$@" ;;
  adopt) exec "$python" -m ops.adopt --stack "$stack" "$@" ;;
esac

# Every preview and deployment runs the security policy pack (policy/), in its own venv, built
# only now that every check has passed; prod with its stricter config.
if ! make -q policy-install 2>/dev/null; then
  echo "Building the policy pack's venv (policy/venv), once ..." >&2
  make -s policy-install
fi
policy=(--policy-pack policy)
if [ "$stack" = prod ]; then policy+=(--policy-pack-config policy/prod-config.json); fi

pulumi stack select --create --non-interactive "$stack" >/dev/null

case "$action" in
  up) exec pulumi up "${policy[@]}" --stack "$stack" "$@" ;;
  preview) exec pulumi preview "${policy[@]}" --diff --stack "$stack" "$@" ;;
  rotate-now)
    urn=$(pulumi stack export --stack "$stack" | "$python" -c '
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
