#!/usr/bin/env bats
# A hostile registry or file server (test/http/hostile.py on 127.0.0.1): stalls time out, floods are
# refused unread, redirects keep credentials where they belong, and each failure is exit 1 with a message
# that says what failed. STACKER_NET_TIMEOUT shortens the 30 s idle timeout; `timeout` keeps a
# regression from hanging the suite.

load helpers

setup() {
  setup_work
  SERVER_PID=""
}

teardown() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  teardown_work
}

# Starts hostile.py in MODE; sets PORT.
start_hostile() {
  rm -f port server.log
  python3 "$REPO/test/http/hostile.py" "$1" "$WORK/port" "$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  PORT="$(cat port)"
}

docker_base() {
  cat > stacker.yaml <<YAML
app:
  from:
    type: docker
    url: docker://127.0.0.1:$PORT/lib/img:1
    insecure: true
YAML
}

@test "from: docker: a blob that stalls times out and is retried; exit 1, no hang" {
  start_hostile stall
  docker_base
  STACKER_NET_TIMEOUT=1 run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"error: stacker.yaml:3:5: from: pull blob sha256:"*": registry 127.0.0.1:$PORT: no data for 1 s (after 6 tries)"* ]]
  [[ "$output" == *"hint: the registry or the network stalled; try again later, or allow a slow link more time with STACKER_NET_TIMEOUT=SECONDS (now 1 s)"* ]]
  # nothing half-downloaded is kept
  [ -z "$(find .stacker/pull-cache/blobs -type f -name '.tmp-*')" ]
}

@test "from: docker: a 1 GiB manifest is refused without reading it" {
  start_hostile big-manifest
  docker_base
  run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"manifest lib/img:1 from http://127.0.0.1:$PORT/v2/lib/img/manifests/1 is 1073741824 bytes, more than the 4 MiB allowed; refused"* ]]
  for _ in $(seq 50); do grep -q '^sent ' server.log && break; sleep 0.1; done
  sent="$(sed -n 's/^sent //p' server.log | sort -n | tail -1)"
  echo "the server got $sent bytes out"
  [ "$sent" -lt $((64 << 20)) ]
}

@test "from: docker: a blob redirected to a file: URL is refused by name, and that is exit 1, not a usage error" {
  start_hostile file-redirect
  docker_base
  run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"to a file: URL refused: only http and https are followed"* ]]
}

import_file() {
  cat > stacker.yaml <<YAML
app:
  from:
    type: scratch
  imports:
    - path: http://127.0.0.1:$PORT/file.txt
      dest: /file.txt
YAML
}

@test "an http import redirected to another port does not take the auth.json credentials along" {
  start_hostile redirect-away
  import_file
  echo "{\"auths\": {\"127.0.0.1:$PORT\": {\"auth\": \"$(printf alice:s3cret | base64)\"}}}" > auth.json
  REGISTRY_AUTH_FILE="$WORK/auth.json" run timeout 120 "$STACKER" build
  echo "$output"
  cat server.log
  [ "$status" -eq 0 ]
  grep -q "^GET /file.txt Basic " server.log          # the server the credentials are for got them
  grep -q "^away GET /file.txt None$" server.log      # the one it redirected to did not
  ! grep -q "^away .* Basic" server.log || false
}

@test "an http import that stalls times out, keeps nothing, and says how far it got" {
  start_hostile stall
  import_file
  STACKER_NET_TIMEOUT=1 run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"error: stacker.yaml:5:7: import http://127.0.0.1:$PORT/file.txt: download failed after 10 of 1000 bytes: no data for 1 s"* ]]
  [ -z "$(find .stacker/imports-cache -type f 2>/dev/null)" ]
}

@test "a broken auth.json is an error naming it, not silently skipped" {
  start_hostile redirect-away
  import_file
  printf '{"auths": {' > auth.json
  REGISTRY_AUTH_FILE="$WORK/auth.json" run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"error: stacker.yaml:5:7: import http://127.0.0.1:$PORT/file.txt: read credentials from $WORK/auth.json: not valid JSON: line 1, column 12: Unexpected end-of-input"* ]]
  [[ "$output" == *"hint: fix or remove the file"* ]]
}

@test "a bad STACKER_NET_TIMEOUT is a usage error naming it" {
  start_hostile stall
  import_file
  STACKER_NET_TIMEOUT=soon run timeout 120 "$STACKER" build
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"STACKER_NET_TIMEOUT=soon: expected a number of seconds between 0 and 86400"* ]]
}
