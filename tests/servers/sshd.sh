#!/usr/bin/env bash
# A throwaway OpenSSH sshd on 127.0.0.1 for the SFTP tests: its own host key, its own client key, internal-sftp,
# logins by key (and by password for users that have one). Everything lives in DIR (config, keys, known_hosts, pid,
# log); the machine's own sshd configuration and ~/.ssh are never read nor written.
#
#   sshd.sh start DIR PORT   prints "port=... user=... identity=DIR/client_ed25519 known_hosts=DIR/known_hosts" once
#                            the server answers
#   sshd.sh stop DIR         stops it
#   SSHD_CIPHERS=list        (optional, at start) the only ciphers the server offers
#
# The user has a normal shell with its first key, so commands can be run (the SFTP store's sha256sum).
# Needs Debian's openssh-server and openssh-client (.ci/run installs them). The user is whoever runs the script (root
# in CI: PermitRootLogin prohibit-password lets the key in; other users may log in with a password, as the password
# test's throwaway user does). A start that fails stops what it started.
set -euo pipefail
cmd=${1:?usage: sshd.sh start DIR PORT | stop DIR}
D=$(realpath -m "${2:?DIR}")

stop() {
  [[ -f $D/sshd.pid ]] || return 0
  local pid
  pid=$(cat "$D/sshd.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$D/sshd.pid"
}

case $cmd in
start)
  PORT=${3:?PORT}
  mkdir -p "$D"
  chmod 700 "$D"
  trap 'echo "sshd.sh: \"$BASH_COMMAND\" failed (exit $?); log in $D/sshd.log" >&2; stop' ERR
  [[ -f $D/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-host -f "$D/host_ed25519"
  # A second host key of another type, for the tests of which key is asked for.
  [[ -f $D/host_rsa ]] || ssh-keygen -q -t rsa -b 2048 -N '' -C sqlitebackup-test-host -f "$D/host_rsa"
  [[ -f $D/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-client -f "$D/client_ed25519"
  # Three more client keys for the same user: one whose sessions are internal-sftp only (exec refused, as ForceCommand
  # internal-sftp accounts are), one whose commands find an openssl that lies first on their PATH (the store asks
  # openssl before sha256sum), one whose PATH has a sha256sum and no openssl.
  [[ -f $D/client_sftponly ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-sftponly -f "$D/client_sftponly"
  [[ -f $D/client_liar ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-liar -f "$D/client_liar"
  [[ -f $D/client_nossl ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-nossl -f "$D/client_nossl"
  # And one whose sync(1) writes down what it was asked to flush (in sync.log) before flushing it, and fails for a
  # manifest while DIR/sync.fail-manifests exists (a flush that fails after the object is in place).
  [[ -f $D/client_synclog ]] || ssh-keygen -q -t ed25519 -N '' -C sqlitebackup-test-synclog -f "$D/client_synclog"
  mkdir -p "$D/liarbin" "$D/sumbin" "$D/syncbin"
  printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/sync.log"\ncase "$*" in *.manifest.json*) if [ -e "%s/sync.fail-manifests" ]; then echo "sync: refused by the test" >&2; exit 1; fi;; esac\nexec %s "$@"\n' "$D" "$D" "$(command -v sync)" >"$D/syncbin/sync"
  chmod 755 "$D/syncbin/sync"
  printf '#!/bin/sh\nfor a; do f=$a; done\nprintf "%%064d *%%s\\n" 0 "$f"\n' >"$D/liarbin/openssl"
  chmod 755 "$D/liarbin/openssl"
  ln -sf "$(command -v sha256sum)" "$D/sumbin/sha256sum"
  {
    cat "$D/client_ed25519.pub"
    echo "restrict,command=\"internal-sftp\" $(cat "$D/client_sftponly.pub")"
    echo "environment=\"PATH=$D/liarbin:/usr/bin:/bin\" $(cat "$D/client_liar.pub")"
    echo "environment=\"PATH=$D/sumbin\" $(cat "$D/client_nossl.pub")"
    echo "environment=\"PATH=$D/syncbin:/usr/bin:/bin\" $(cat "$D/client_synclog.pub")"
  } >"$D/authorized_keys"
  cat >"$D/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/host_ed25519
HostKey $D/host_rsa
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
PermitUserEnvironment PATH
Subsystem sftp internal-sftp
${SSHD_CIPHERS:+Ciphers $SSHD_CIPHERS}
CONF
  # sshd's privilege separation directory; the only thing created outside DIR (as Debian's own unit does).
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$D/sshd_config"
  /usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log"
  up=
  for _ in $(seq 100); do
    if ssh-keyscan -T 1 -p "$PORT" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519; then up=1; break; fi
    sleep 0.1
  done
  [[ -n $up ]] || false
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1-2 "$D/host_ed25519.pub")" >"$D/known_hosts"
  trap - ERR
  echo "port=$PORT user=$(id -un) identity=$D/client_ed25519 known_hosts=$D/known_hosts"
  ;;
stop)
  stop
  ;;
*)
  echo "usage: sshd.sh start DIR PORT | stop DIR" >&2; exit 2
  ;;
esac
