#!/usr/bin/env bash
# Records Debian's real prometheus-node-exporter (1.5) scraped by Debian's real Prometheus (2.42), one exporter per
# network namespace created here (each with its own host name, so Grafana's "Node Exporter Full" dashboard has two
# nodes to choose from), and writes the scraped series as OpenMetrics text.
#
# Layout: namespaces tl-ne1 and tl-ne2, each joined to the host by a veth pair on TEST-NET-2 (198.51.100.0/30 and
# .4/30; no default route), an exporter listening on the namespace's address, Prometheus on 127.0.0.1 scraping both
# every SCRAPE seconds for DURATION seconds. Meanwhile node-a burns one CPU for a third of the run and node-b
# serves a bounded number of HTTP requests to node-a, so CPU, load and network panels move. At the end Prometheus
# stops, `promtool tsdb dump` reads its blocks and write-ahead log, and the samples are written series by series
# as OpenMetrics has them (labels joined by a bare comma, timestamps in seconds, `# EOF` last). Everything made
# here is removed.
#
# Run as root from the repository root: traces/record/record-node-exporter.sh [OUT]
# (default traces/metrics/node-exporter.om; DURATION=300 SCRAPE=15 by default).
set -euo pipefail

OUT="${1:-traces/metrics/node-exporter.om}"
DURATION="${DURATION:-300}"
SCRAPE="${SCRAPE:-15}"
WORK="$(mktemp -d /tmp/tracelab-node-exporter.XXXXXX)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for n in 1 2; do ip netns del "tl-ne$n" 2>/dev/null || true; ip link del "ne-h$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v prometheus-node-exporter >/dev/null || { echo "needs prometheus-node-exporter (apt-get install prometheus-node-exporter)" >&2; exit 1; }
command -v prometheus >/dev/null && command -v promtool >/dev/null || { echo "needs prometheus and promtool (apt-get install prometheus)" >&2; exit 1; }

# Two namespaces, each a /30 with the host.
for n in 1 2; do
  ip netns add "tl-ne$n"
  ip -n "tl-ne$n" link set lo up
  ip link add "ne-h$n" type veth peer name "ne-n$n"
  ip link set "ne-n$n" netns "tl-ne$n"
  base=$(( (n - 1) * 4 ))
  ip addr add "198.51.100.$((base + 1))/30" dev "ne-h$n"
  ip link set "ne-h$n" up
  ip -n "tl-ne$n" addr add "198.51.100.$((base + 2))/30" dev "ne-n$n"
  ip -n "tl-ne$n" link set "ne-n$n" up
done

# One exporter per namespace, each in a UTS namespace of its own with its node's host name.
for n in 1 2; do
  name=$([ "$n" = 1 ] && echo node-a || echo node-b)
  address="198.51.100.$(( (n - 1) * 4 + 2 )):9100"
  unshare --uts -- sh -c "hostname $name && exec ip netns exec tl-ne$n prometheus-node-exporter --web.listen-address=$address" \
    >"$WORK/exporter-$n.log" 2>&1 &
  PIDS+=($!)
done

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: ${SCRAPE}s
  scrape_timeout: 10s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['198.51.100.2:9100', '198.51.100.6:9100']
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" --web.listen-address=127.0.0.1:19090 \
  >"$WORK/prometheus.log" 2>&1 &
PROMETHEUS=$!
PIDS+=("$PROMETHEUS")

# The workload: node-a burns a CPU in the middle third; node-a serves, node-b fetches (at most 2000 requests).
sleep $(( DURATION / 3 ))
ip netns exec tl-ne1 timeout $(( DURATION / 3 )) sh -c 'while :; do :; done' &
PIDS+=($!)
ip netns exec tl-ne1 timeout $(( DURATION / 2 )) python3 -m http.server 8080 --bind 198.51.100.2 >/dev/null 2>&1 &
PIDS+=($!)
sleep 2
ip netns exec tl-ne2 timeout $(( DURATION / 2 )) sh -c 'i=0; while [ $i -lt 2000 ]; do curl -s -o /dev/null http://198.51.100.2:8080/ || true; i=$((i+1)); sleep 0.05; done' &
PIDS+=($!)
sleep $(( DURATION - DURATION / 3 ))

kill "$PROMETHEUS"
wait "$PROMETHEUS" 2>/dev/null || true

# promtool prints `{labels} value timestamp_ms`; OpenMetrics wants `name{labels} value timestamp_seconds`.
promtool tsdb dump "$WORK/data" | python3 -c '
import re, sys
line_re = re.compile(r"^\{(.*)\} (\S+) (\d+)$")
out = sys.stdout
for line in sys.stdin:
    match = line_re.match(line.rstrip("\n"))
    if not match:
        continue
    labels, value, ms = match.groups()
    name = re.search(r"__name__=\"([^\"]*)\"", labels).group(1)
    rest = ",".join(part for part in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\"", labels) if not part.startswith("__name__="))
    out.write("%s{%s} %s %d.%03d\n" % (name, rest, value, int(ms) // 1000, int(ms) % 1000))
out.write("# EOF\n")
'  >"$OUT"
echo "wrote $OUT: $(wc -l <"$OUT") lines"
