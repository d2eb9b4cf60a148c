#!/usr/bin/env bash
# Azurite's Blob service on 127.0.0.1 for the Azure store tests. Everything lives in DIR (data, pid, log).
#
#   azurite.sh start DIR PORT    prints "endpoint=http://127.0.0.1:PORT/devstoreaccount1" once the service answers
#   azurite.sh stop DIR          stops it
#
# The azurite-blob program: $AZURITE_BLOB, else the test-server cache .ci/run installs azurite into
# (${XDG_CACHE_HOME:-~/.cache}/sqlitebackup-test-servers), else PATH. Exit 127 when there is none, so a test fixture
# can tell "not installed" (skip) from "failed to start" (error). The account is Azurite's well-known devstoreaccount1.
set -euo pipefail
cmd=${1:?usage: azurite.sh start DIR PORT | stop DIR}
D=$(realpath -m "${2:?DIR}")

stop() {
  [[ -f $D/azurite.pid ]] || return 0
  local pid
  pid=$(cat "$D/azurite.pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do [[ $(ps -o stat= -p "$pid" 2>/dev/null) == [^Z]* ]] || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$D/azurite.pid"
}

program() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/sqlitebackup-test-servers/node_modules/.bin/azurite-blob"
  if [[ -n ${AZURITE_BLOB:-} ]]; then echo "$AZURITE_BLOB"
  elif [[ -x $cache ]]; then echo "$cache"
  else command -v azurite-blob || true
  fi
}

case $cmd in
start)
  PORT=${3:?PORT}
  bin=$(program)
  if [[ -z $bin || ! -x $bin ]]; then echo "azurite.sh: azurite-blob is not installed (npm install azurite@3.37.0)" >&2; exit 127; fi
  mkdir -p "$D/data"
  # setsid and every descriptor above 2 closed: the daemon must not keep a caller's lock file (flock) or pipe open.
  # --skipApiVersionCheck: Azure.Storage.Blobs sends an x-ms-version newer than the one Azurite announces.
  setsid bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; (( n > 2 )) && eval "exec $n>&-"; done; exec "$@"' azurite \
    "$bin" --blobHost 127.0.0.1 --blobPort "$PORT" --location "$D/data" \
    --skipApiVersionCheck --disableTelemetry --silent </dev/null >"$D/azurite.log" 2>&1 &
  echo $! >"$D/azurite.pid"
  for _ in $(seq 300); do
    # Any HTTP answer (even 403 to an unsigned request) means the service is up.
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/devstoreaccount1?comp=list"; then
      echo "endpoint=http://127.0.0.1:$PORT/devstoreaccount1"
      exit 0
    fi
    if ! kill -0 "$(cat "$D/azurite.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "azurite.sh: azurite-blob did not answer on 127.0.0.1:$PORT; its log:" >&2
  cat "$D/azurite.log" >&2 || true
  stop
  exit 1
  ;;
stop)
  stop
  ;;
*)
  echo "usage: azurite.sh start DIR PORT | stop DIR" >&2; exit 2
  ;;
esac
