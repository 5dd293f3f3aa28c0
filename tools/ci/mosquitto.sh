#!/bin/sh
# Start Mosquitto as a daemon on a free loopback port with a throw-away config, and print its URL on stdout:
#
#   MQTT_URL=$(tools/ci/mosquitto.sh) && MQTT_URL=$MQTT_URL npm test -- transports/mqtt
#   tools/ci/mosquitto.sh stop "$MQTT_URL"   # stops that broker (give no URL to stop every one this script
#                                            # started: pid files under $TMPDIR/pollen-mosquitto.*)
#
# The MQTT suite then runs against a real broker speaking MQTT 5. Fails (exit 1, reason on stderr) when
# mosquitto is not installed or does not come up: CI must not quietly skip the suite.
set -eu
base="${TMPDIR:-/tmp}"

if [ "${1:-}" = "stop" ]; then
  want=$(printf '%s' "${2:-}" | sed -n 's/.*:\([0-9][0-9]*\)\/*$/\1/p')
  for f in "$base"/pollen-mosquitto.*/mosquitto.pid; do
    [ -f "$f" ] || continue
    d=$(dirname "$f")
    if [ -n "$want" ] && ! grep -q "^listener $want " "$d/mosquitto.conf" 2>/dev/null; then continue; fi
    kill "$(cat "$f")" 2>/dev/null || true
    rm -rf "$d"
  done
  exit 0
fi

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  echo "mosquitto.sh: mosquitto is not installed (apt-get install mosquitto)" >&2
  exit 1
fi
bin=$(command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto)

dir=$(mktemp -d "$base/pollen-mosquitto.XXXXXX")
chmod 755 "$dir"
# A free port from the OS; retried, since another process may take it before mosquitto binds.
for try in 1 2 3 4 5; do
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
pid_file $dir/mosquitto.pid
log_dest file $dir/mosquitto.log
user $(id -un)
CONF
  "$bin" -c "$dir/mosquitto.conf" -d || true
  # Wait up to 5 s for the port to accept connections.
  i=0
  while [ $i -lt 50 ]; do
    if node -e 'require("net").connect(+process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$port" 2>/dev/null; then
      echo "mosquitto.sh: mosquitto pid $(cat "$dir/mosquitto.pid" 2>/dev/null || echo '?') on 127.0.0.1:$port, config and log in $dir" >&2
      echo "mqtt://127.0.0.1:$port"
      exit 0
    fi
    i=$((i + 1))
    sleep 0.1
  done
  [ -f "$dir/mosquitto.pid" ] && kill "$(cat "$dir/mosquitto.pid")" 2>/dev/null || true
done
echo "mosquitto.sh: mosquitto did not start; its log:" >&2
cat "$dir/mosquitto.log" >&2 2>/dev/null || true
exit 1
