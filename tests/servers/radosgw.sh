#!/usr/bin/env bash
# A throwaway single-node Ceph on 127.0.0.1 for the S3 tests: one monitor, one in-memory OSD, one radosgw, cephx
# off, one S3 user. Everything lives in DIR (config, pids, logs); nothing is installed or left running elsewhere.
#
#   radosgw.sh start DIR S3_PORT MON_PORT    prints "endpoint=... access_key=... secret_key=..." once S3 answers
#                                            (RADOSGW_MEMSTORE_BYTES: what it may hold, 2 GiB unless set; RAM is
#                                            used only as objects arrive)
#   radosgw.sh stop DIR                      stops the gateway, then the OSD, then the monitor
#   radosgw.sh stop-gateway DIR              kills only the S3 gateway (the cluster keeps what was stored): a server
#                                            that goes away mid-upload
#   radosgw.sh start-gateway DIR             starts it again on the same port; returns once S3 answers
#
# Needs Debian's radosgw ceph-mon ceph-osd (--no-install-recommends; .ci/run installs them). Ports are the caller's
# choice so two test runs on one machine do not collide. A start that fails stops what it started.
set -euo pipefail
cmd=${1:?usage: radosgw.sh start DIR S3_PORT MON_PORT | stop DIR | stop-gateway DIR | start-gateway DIR}
D=$(realpath -m "${2:?DIR}")
C="$D/ceph.conf"

stop() {
  # SIGKILL on purpose: everything is in memory and thrown away, and a polite stop costs 6-8 s of shutdown
  # handshakes between the three daemons at the end of every test run.
  local n pid names=("$@")
  ((${#names[@]})) || names=(client.rgw osd.0 mon.a)
  for n in "${names[@]}"; do
    [[ -f $D/run/$n.pid ]] || continue
    pid=$(cat "$D/run/$n.pid")
    kill -9 "$pid" 2>/dev/null || continue
    # Gone or a zombie (daemons are reparented to PID 1, which in a container may be slow to reap them).
    for _ in $(seq 50); do [[ $(ps -o stat= -p "$pid" 2>/dev/null) == [^Z]* ]] || break; sleep 0.1; done
    rm -f "$D/run/$n.pid"
  done
  return 0
}

# The gateway, started in the background; returns once S3 answers on its port.
start_gateway() {
  local port
  port=$(sed -n 's/^rgw frontends = beast endpoint=127.0.0.1:\([0-9]*\)$/\1/p' "$C")
  radosgw -c "$C" -n client.rgw
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  return 1
}

# A freshly elected monitor can refuse a command or two; these are idempotent, so they are simply asked again.
retry() {
  for _ in $(seq 20); do "$@" && return 0; sleep 0.2; done
  "$@"
}

case $cmd in
start)
  PORT=${3:?S3_PORT}; MON_PORT=${4:?MON_PORT}
  mkdir -p "$D"/{mon,osd,run,log}
  trap 'echo "radosgw.sh: \"$BASH_COMMAND\" failed (exit $?); logs in $D/log" >&2; stop' ERR
  fsid=$(cat /proc/sys/kernel/random/uuid)
  # ms_mon_client_mode = crc: with cephx off the default (secure) mode makes clients wait 300 s for the monitor.
  # memstore keeps objects in RAM: no disk to prepare, and memory grows only with what the tests store.
  cat >"$C" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
ms_mon_client_mode = crc
ms_bind_msgr2 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${RADOSGW_MEMSTORE_BYTES:-2147483648}
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd
# Its own crush registration at boot can reach the monitor before it knows the cluster's fsid and then fails the
# start ('wrong fsid', exit 250, about one start in four); the script adds it to the crush map itself.
osd class update on start = false
osd crush update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = 127.0.0.1
EOF
  monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" >/dev/null 2>&1
  ceph-mon -c "$C" -i a
  for _ in $(seq 100); do ceph -c "$C" --connect-timeout 2 -s >/dev/null 2>&1 && break; sleep 0.1; done
  # The OSD registers itself by its uuid on start; one the monitor does not know makes that fail ('wrong fsid').
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(retry ceph -c "$C" osd create "$osd_uuid")
  ceph-osd -c "$C" -i "$id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph -c "$C" osd crush add "osd.$id" 1 root=default >/dev/null 2>&1 || true
  ceph-osd -c "$C" -i "$id"
  start_gateway
  retry radosgw-admin -c "$C" user create --uid=test --display-name=test --access-key=TESTKEY --secret-key=TESTSECRET >/dev/null
  trap - ERR
  echo "endpoint=http://127.0.0.1:$PORT access_key=TESTKEY secret_key=TESTSECRET"
  ;;
stop)
  stop
  ;;
stop-gateway)
  stop client.rgw
  ;;
start-gateway)
  [[ -f $C ]] || { echo "radosgw.sh: no cluster in $D" >&2; exit 1; }
  [[ ! -f $D/run/client.rgw.pid ]] || { echo "radosgw.sh: the gateway is already running" >&2; exit 1; }
  start_gateway || { echo "radosgw.sh: the gateway did not answer; logs in $D/log" >&2; exit 1; }
  ;;
*)
  echo "usage: radosgw.sh start DIR S3_PORT MON_PORT | stop DIR | stop-gateway DIR | start-gateway DIR" >&2; exit 2
  ;;
esac
