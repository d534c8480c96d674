#!/usr/bin/env bash
# Runs one action on one stack, after checking that everything it needs is there.
#   scripts/stack.sh up|preview|rotate-now STACK [extra pulumi arguments...]
#   scripts/stack.sh verify|adopt STACK [arguments of ops.verify / ops.adopt...]
# `make up`, `make preview`, `make rotate-now`, `make verify` and `make adopt` call it (see README).
# Checks run before anything slow, in one step that names every problem at once: the stack file
# and its config, then what the action needs (scripts/check_stack.py --for, from the table in
# ops/needs.py: Cloudflare token, Entra credentials, passphrase). Only then the pinned Pulumi CLI
# (scripts/pulumi_cli.py, which may download it; adopt needs none) and the policy pack's venv.
# VENV_PYTHON overrides the interpreter (default venv/bin/python); tests point it at a fake.
set -euo pipefail
cd "$(dirname "$0")/.."

usage='usage: scripts/stack.sh up|preview|rotate-now|verify|adopt STACK [arguments...]'
case "${1:-}" in
  -h | --help)
    printf '%s\n\n%s\n' "$usage" "Checks what the action needs, then runs it on the stack (make up|preview|rotate-now|verify|adopt STACK=...)."
    exit 0
    ;;
esac
if [ $# -lt 2 ]; then
  printf '%s\n' "$usage" >&2
  exit 2
fi
action=$1
stack=$2
shift 2
python=${VENV_PYTHON:-venv/bin/python}

# The same headline as ops/needs.py's cannot_run.
fail() {
  if [ "$action" = adopt ]; then verb="adopt into"; else verb=$action; fi
  printf 'Cannot %s stack %s:\n' "$verb" "$stack" >&2
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

# The embedded default backend: a local, git-ignored state folder inside the checkout (the same
# default ops/stack_outputs.py applies when verify runs on its own).
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"

# Whether the stack is production (it says so in its file, not by its name) and whether the action
# needs the Pulumi CLI, printed by the check once everything it checks is there. verify and adopt
# with --json get their problems as the same JSON document the module would print.
check=(--for "$action" --print production,pulumi-cli)
case "$action" in
  verify | adopt)
    # The command's own arguments first, as when it runs directly: --help answers before any
    # check, and a wrong argument is refused before the checks run.
    for argument in "$@"; do
      case "$argument" in
        -h | --help) exec "$python" -m "ops.$action" --stack "$stack" "$@" ;;
        --json) check+=(--json) ;;
      esac
    done
    "$python" -c 'import sys; from ops.arguments import PARSERS; PARSERS[sys.argv[1]]().parse_args(sys.argv[2:])' \
      "$action" --stack "$stack" "$@" || exit 2
    ;;
esac
if ! facts=$("$python" scripts/check_stack.py "${check[@]}" -- "$stack"); then
  if [ -n "$facts" ]; then printf '%s\n' "$facts"; fi
  exit 2
fi
read -r production needs_cli <<<"$facts"

if [ "$needs_cli" = true ]; then
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
fi

case "$action" in
  verify) exec "$python" -m ops.verify --stack "$stack" "$@" ;;
  adopt) exec "$python" -m ops.adopt --stack "$stack" "$@" ;;
esac

# Every preview and deployment runs the security policy pack (policy/), in its own venv, built
# only now that every check has passed; a production stack with the strict config.
# Under make (MAKELEVEL set) a make of its own would announce "Entering directory" around itself.
if ! make -q --no-print-directory policy-install 2>/dev/null; then
  echo "Building the policy pack's venv (policy/venv), once ..." >&2
  make -s --no-print-directory policy-install >&2
fi
policy=(--policy-pack policy)
if [ "$production" = true ]; then policy+=(--policy-pack-config policy/prod-config.json); fi

pulumi stack select --create --non-interactive "$stack" >/dev/null

case "$action" in
  up) exec pulumi up "${policy[@]}" --stack "$stack" "$@" ;;
  preview) exec pulumi preview "${policy[@]}" --diff --stack "$stack" "$@" ;;
  rotate-now)
    # pulumi prints its own reason on stderr when the export fails.
    state=$(pulumi stack export --stack "$stack") ||
      fail "cannot read the state of stack $stack ('pulumi stack export' failed, its message is above): check PULUMI_BACKEND_URL and the passphrase"
    urn=$(printf '%s' "$state" | "$python" -c '
import json, sys
from ops.stack_outputs import client_secret_resource
try:
    resource = client_secret_resource(json.load(sys.stdin))
except (ValueError, AttributeError):
    sys.exit(2)
print((resource or {}).get("urn", ""))
') || fail "'pulumi stack export --stack $stack' printed something that is not a stack export"
    [ -n "$urn" ] || fail "stack $stack has no client secret yet: deploy it first with 'make up STACK=$stack'"
    # Replacement creates the new secret, points Cloudflare at it, then deletes the old one.
    exec pulumi up "${policy[@]}" --stack "$stack" --replace "$urn" "$@"
    ;;
esac
