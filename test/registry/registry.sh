#!/usr/bin/env bash
# Runs a throwaway Docker registry (Debian's docker-registry) on 127.0.0.1 for tests and benchmarks.
#
#   registry.sh start DIR [--tls] [--auth USER:PASS]   start one with its state in DIR; prints the port
#   registry.sh stop DIR                                stop it (the storage in DIR is kept)
#   registry.sh restart DIR                             start it again on the same port with the same storage
#
# DIR gets config.yml, data/, registry.log (access log included), pid and port. --tls makes a self-signed
# certificate for 127.0.0.1 (DIR/cert.pem); --auth writes a bcrypt htpasswd file (needs apache2-utils).
# Works unprivileged: the registry only binds a free port on 127.0.0.1.
set -euo pipefail

cmd="${1:?usage: registry.sh start|stop|restart DIR [--tls] [--auth USER:PASS]}"
dir="${2:?usage: registry.sh start|stop|restart DIR}"
shift 2

free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "registry.sh: no free port found" >&2
  return 1
}

wait_up() {
  local port="$1" i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "registry.sh: docker-registry exited; its log:" >&2
      tail -n 20 "$dir/registry.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "registry.sh: docker-registry did not listen on 127.0.0.1:$port within 10s" >&2
  return 1
}

run() {
  # setsid: the registry must not get the terminal's signals, and stop kills only this process id
  setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  wait_up "$(cat "$dir/port")"
}

case "$cmd" in
  start)
    tls=""
    auth=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --tls) tls=1 ;;
        --auth) auth="$2"; shift ;;
        *) echo "registry.sh: unknown option $1" >&2; exit 2 ;;
      esac
      shift
    done
    mkdir -p "$dir/data"
    port="$(free_port)"
    echo "$port" > "$dir/port"
    {
      echo "version: 0.1"
      echo "log: {level: info, accesslog: {disabled: false}}"
      echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
      echo "http:"
      echo "  addr: 127.0.0.1:$port"
      echo "  secret: stacker-test-secret"
      if [ -n "$tls" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
          -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
        echo "  tls: {certificate: $dir/cert.pem, key: $dir/key.pem}"
      fi
      if [ -n "$auth" ]; then
        htpasswd -Bbn "${auth%%:*}" "${auth#*:}" > "$dir/htpasswd"
        echo "auth: {htpasswd: {realm: stacker-test, path: $dir/htpasswd}}"
      fi
    } > "$dir/config.yml"
    run
    cat "$dir/port"
    ;;
  stop)
    if [ -f "$dir/pid" ]; then
      pid="$(cat "$dir/pid")"
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/pid"
    fi
    ;;
  restart)
    run
    ;;
  *)
    echo "registry.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
