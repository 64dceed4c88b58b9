#!/usr/bin/env bats
# Imports from http(s) (against a server this test starts on 127.0.0.1), hashes, and stacker:// imports.

load helpers

setup() {
  setup_work
  mkdir -p served
  echo "remote content" > served/file.txt
  SERVER_PID=""
}

teardown() {
  stop_server
  teardown_work
}

start_server() {
  rm -f port requests.log
  python3 "$REPO/test/http/server.py" "$WORK/served" "$WORK/port" "$WORK/requests.log" "$@" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  PORT="$(cat port)"
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

write_stackerfile() {
  cat > stacker.yaml <<YAML
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
img:
  from:
    type: built
    tag: base
  imports:
    - path: http://127.0.0.1:$PORT/file.txt
      dest: /file.txt
$1
YAML
}

gets() {
  grep -c '^GET /file.txt ok' requests.log || true
}

@test "an http import with X-Checksum-Sha256 is downloaded once and reused while the checksum holds" {
  start_server --checksum
  write_stackerfile
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(gets)" -eq 1 ]
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer img"* ]]
  [ "$(gets)" -eq 1 ]
  echo "new remote content" > served/file.txt
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(gets)" -eq 2 ]
  [[ "$output" == *"cache miss because import http://127.0.0.1:$PORT/file.txt changed"* ]]
  tar -xzOf "$(last_layer_blob oci img)" file.txt | grep -qx "new remote content"
}

@test "an http import without X-Checksum-Sha256 is reused while size and Last-Modified hold" {
  start_server
  write_stackerfile
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [ "$(gets)" -eq 1 ]
  sleep 1.1
  echo "changed and longer remote content" > served/file.txt
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [ "$(gets)" -eq 2 ]
}

@test "an offline rebuild uses the cached copy" {
  start_server --checksum
  write_stackerfile
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  stop_server
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"server unreachable"*"using the cached copy"* ]]
  [[ "$output" == *"found cached layer img"* ]]
}

@test "without a server and without a cached copy the build says so" {
  start_server
  stop_server
  write_stackerfile
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot reach the server"*"no cached copy"* ]]
}

@test "basic auth credentials come from auth.json, longest prefix first" {
  start_server --checksum --auth alice:s3cret
  write_stackerfile
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"401 (unauthorized)"* ]]
  [[ "$output" == *"credentials are looked up under the longest matching host/path"* ]]
  good="$(printf alice:s3cret | base64)"
  bad="$(printf alice:wrong | base64)"
  cat > auth.json <<JSON
{"auths": {"127.0.0.1:$PORT": {"auth": "$bad"}, "127.0.0.1:$PORT/file.txt": {"auth": "$good"}}}
JSON
  REGISTRY_AUTH_FILE="$WORK/auth.json" run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "hashes: a matching hash passes, a wrong one and a malformed one are refused" {
  start_server --checksum
  sum="$(sha256sum served/file.txt | cut -d' ' -f1)"
  write_stackerfile "      hash: $(echo "$sum" | tr a-f A-F)"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  write_stackerfile "      hash: $(echo "$sum" | tr 0-9 1-90)"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is different than the actual hash $sum"* ]]
  [[ "$output" == *"/file.txt: hash does not match: the requested hash"* ]]
  write_stackerfile "      hash: nothex"
  run stacker build -f stacker.yaml
  [ "$status" -eq 2 ]
  [[ "$output" == *'hash "nothex" is not valid'* ]]
}

@test "--require-hash refuses http imports without a hash" {
  start_server
  write_stackerfile
  run stacker build -f stacker.yaml --require-hash
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"has no hash, and --require-hash is set"* ]]
}

@test "a stacker:// import copies a file out of a layer built in the same run" {
  cat > stacker.yaml <<'YAML'
consumer:
  from:
    type: built
    tag: base
  imports:
    - path: stacker://producer/out/artifact.txt
      dest: /artifact.txt
producer:
  from:
    type: built
    tag: base
  run: mkdir -p /out && echo artifact > /out/artifact.txt
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  tar -xzOf "$(last_layer_blob oci consumer)" artifact.txt | grep -qx artifact
}
