#!/usr/bin/env bash
# After a deployment: `make verify ARGS="--canary <user>"` for the user ENTRA_CF_CANARY_USERS names for this
# stack (deploy.yml puts it in CANARY_USER). The value reaches make's recipe, which a shell runs,
# so only the characters of a user principal name, a mail address or an object ID get through.
#   CANARY_USER=<user> STACK=<stack> .github/scripts/canary.sh
set -euo pipefail
if [ $# -gt 0 ]; then
  echo "usage: CANARY_USER=<user> STACK=<stack> .github/scripts/canary.sh (no arguments)"
  [ "$1" = --help ] && exit 0
  exit 2
fi
: "${STACK:?STACK is not set}"
: "${CANARY_USER:?CANARY_USER is not set}"
if [[ ! "$CANARY_USER" =~ ^[A-Za-z0-9][A-Za-z0-9@._+-]*$ ]]; then
  # The value is not echoed: it is refused because a shell could misread it.
  echo "::error title=Canary user refused::ENTRA_CF_CANARY_USERS names, for stack $STACK, a value that is not a user principal name, mail address or object ID (letters, digits and @ . _ + - only)." >&2
  exit 2
fi
make verify STACK="$STACK" ARGS="--canary $CANARY_USER"
