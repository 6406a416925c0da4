# Starts and stops a fresh `loket serve --demo` on a free port and a temporary SQLite file.
# Sourced by scripts/walkthrough and scripts/browser-tests:
#
#   start_demo_server BINARY DIR   sets SERVER_PID and LOKET_URL (the database and
#                                  DIR/server.log are in DIR); exits the script on failure
#   stop_demo_server               stops it, if it runs (safe to call twice, e.g. from a trap)

SERVER_PID=

# A port taken between the check and the bind makes the server exit with "cannot listen"; then
# the next candidate is tried.
start_demo_server() { # binary dir
  local bin=$1 dir=$2 port
  for port in $(shuf -i 20000-60000 -n 20); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue
    fi
    rm -f "$dir"/loket.db*
    (
      # The server sees only its own settings, whatever the caller has exported.
      for v in $(compgen -e | grep '^LOKET_' || true); do unset "$v"; done
      export LOKET_LOG=warn
      exec "$bin" serve --demo --bind "127.0.0.1:$port" \
        --database-url "sqlite://$dir/loket.db"
    ) > "$dir/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        break
      fi
      if command curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        LOKET_URL="http://127.0.0.1:$port"
        return 0
      fi
      sleep 0.2
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "the server did not become ready within a minute:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if ! grep -q "cannot listen" "$dir/server.log"; then
      echo "the server did not start:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
  done
  echo "no free port found" >&2
  exit 1
}

stop_demo_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
