# Shared by scripts/bench and scripts/bench-instructions (sourced, not run): a work directory and
# the processes started, both cleaned up on exit; a free port; a Redis to measure against; a login.
# The sourcing script defines log and die first.

WORK=$(mktemp -d -t "clustered-session-${0##*/}.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts redis-server on a free loopback port (no persistence); sets RPORT and REDIS_URL.
start_redis() {
  RPORT=$(free_port)
  redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" --daemonize no &
  PIDS+=("$!")
  for _ in $(seq 50); do [ "$(redis-cli -p "$RPORT" PING 2>/dev/null)" = PONG ] && break; sleep 0.1; done
  [ "$(redis-cli -p "$RPORT" PING 2>/dev/null)" = PONG ] || die "redis-server did not start"
  REDIS_URL=redis://127.0.0.1:$RPORT
  log "redis-server on 127.0.0.1:$RPORT"
}

# login PORT ATTRS SIZE -> "name=value[; name2=value2]" of every Set-Cookie
login() {
  curl -s -o /dev/null -D - -X POST "http://127.0.0.1:$1/login?attrs=$2&size=$3" | tr -d '\r' |
    grep -i '^set-cookie:' | sed -E 's/^[^:]*: *([^;]*).*/\1/' | paste -sd';' - | sed 's/;/; /g'
}
