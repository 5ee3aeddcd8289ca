#!/bin/sh
# Container entrypoint for a dcim-exchange node.
# On first start (no config.json in $DCIMX_HOME) it creates the node home from
# DCIMX_COUNTRY (and DCIMX_URL, DATABASE_URL); then it runs the given dcimx command,
# with any subcommands and arguments (default: serve on 0.0.0.0:7300), on that home:
# dcimx reads --home from DCIMX_HOME. Migrations run at start-up.
#   docker compose exec srb dcimx-entrypoint peer add HRV http://hrv:7300 --thumbprint ...
# The tests run this script outside a container (test/docker/entrypoint.test.ts).
set -eu
home="${DCIMX_HOME:-/data}"
dcimx="${DCIMX_BIN:-node /app/bin/dcimx.js}"

if [ ! -f "$home/config.json" ]; then
  if [ -z "${DCIMX_COUNTRY:-}" ]; then
    echo "dcimx-entrypoint: $home has no node yet; set DCIMX_COUNTRY (e.g. SRB) to create one" >&2
    exit 1
  fi
  # shellcheck disable=SC2086
  $dcimx init --home "$home" --country "$DCIMX_COUNTRY" --host 0.0.0.0 --port "${DCIMX_PORT:-7300}" \
    ${DCIMX_URL:+--url "$DCIMX_URL"}
fi

export DCIMX_HOME="$home"
[ $# -gt 0 ] || set -- serve
# shellcheck disable=SC2086
exec $dcimx "$@"
