#!/usr/bin/env bash
# Records the lab's network attacks and benign traffic as pcap files, on this machine, between network
# namespaces created here and removed at the end. Addresses are TEST-NET-1 (192.0.2.0/24) and exist only
# inside the namespaces, which have no default route: nothing leaves the machine. Every run is bounded in
# packets and time. Run as root from the repository root: bash traces/record/record-pcaps.sh
# ONLY="name ..." records just the named captures (the others are left as they are).
#
# Topology: tl-atk (192.0.2.1) and three targets tl-t2/tl-t3/tl-t4 (192.0.2.2-4), each joined by a veth
# pair to a bridge in tl-sw. Captures are taken with tcpdump on the attacker's interface, so both
# directions of its traffic are recorded. IPv6 is disabled on the links (no router solicitations).
set -euo pipefail
OUT=${OUT:-traces/pcaps}
mkdir -p "$OUT"
NAMESPACES=(tl-sw tl-atk tl-t2 tl-t3 tl-t4)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

for ns in "${NAMESPACES[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n tl-sw link add br0 type bridge
ip -n tl-sw link set br0 up
for host in atk:1 t2:2 t3:3 t4:4; do
  name=${host%%:*}; last=${host##*:}
  ip link add "v-$name" type veth peer name "p-$name"
  ip link set "v-$name" netns "tl-$name"
  ip link set "p-$name" netns tl-sw
  ip -n tl-sw link set "p-$name" master br0
  ip -n tl-sw link set "p-$name" up
  ip netns exec "tl-$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "tl-$name" addr add "192.0.2.$last/24" dev "v-$name"
  ip -n "tl-$name" link set "v-$name" up
done
ip netns exec tl-sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1

# Listeners on the targets: HTTP on 80 and 8080 (t2), HTTP on 80 (t3), a silent UDP port 53 (t2) and a
# DNS-like UDP echo on 5353 (t3).
start() { "$@" >/dev/null 2>&1 & PIDS+=($!); }
start ip netns exec tl-t2 python3 -m http.server 80 --bind 192.0.2.2
start ip netns exec tl-t2 python3 -m http.server 8080 --bind 192.0.2.2
start ip netns exec tl-t3 python3 -m http.server 80 --bind 192.0.2.3
start ip netns exec tl-t2 python3 -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("192.0.2.2",53))
while True: s.recvfrom(2048)'
start ip netns exec tl-t3 python3 -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("192.0.2.3",5353))
while True:
    d,a=s.recvfrom(2048); s.sendto(d,a)'
sleep 1

# capture NAME COMMAND...: tcpdump on the attacker's side around one command run in tl-atk.
capture() {
  local name=$1; shift
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
  ip netns exec tl-atk tcpdump -Z root -i v-atk -n -U -s 262144 -w "$OUT/$name.pcap" 2>/dev/null &
  local tcpdump=$!
  sleep 1.5
  timeout 120 ip netns exec tl-atk "$@" >/dev/null 2>&1 || true
  sleep 1.5
  kill -INT "$tcpdump"; wait "$tcpdump" || true
  echo "$name: $(tcpdump -nr "$OUT/$name.pcap" 2>/dev/null | wc -l) packets"
}

capture nmap-syn         nmap -n -sS -p 1-1000 --max-retries 1 192.0.2.2
capture nmap-connect     nmap -n -sT -p 1-1000 --max-retries 1 192.0.2.2
capture nmap-udp         nmap -n -sU -p 50-60 --max-retries 2 192.0.2.2
capture nmap-fin         nmap -n -sF -p 1-200 --max-retries 1 192.0.2.2
capture nmap-xmas        nmap -n -sX -p 1-200 --max-retries 1 192.0.2.2
capture nmap-null        nmap -n -sN -p 1-200 --max-retries 1 192.0.2.2
capture nmap-ack         nmap -n -sA -p 1-200 --max-retries 1 192.0.2.2
capture nmap-ping-sweep  nmap -n -sn --max-retries 1 192.0.2.0/24
capture nmap-syn-subnet  nmap -n -sS -p 20-100 --max-retries 1 --host-timeout 60s 192.0.2.0/24
capture hping3-syn-flood hping3 -q -S -i u100 -c 20000 -p 80 192.0.2.2
capture benign-web       bash -c '
  for i in $(seq 1 20); do curl -s -o /dev/null http://192.0.2.2/; curl -s -o /dev/null http://192.0.2.3/; done
  for i in $(seq 1 5); do curl -s -o /dev/null http://192.0.2.2:8080/; sleep 1; done
  python3 -c "
import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1)
for i in range(30):
    s.sendto(b\"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03lab\\x00\\x00\\x01\\x00\\x01\", (\"192.0.2.3\", 5353))
    s.recvfrom(2048)
"'
capture benign-health-probe bash -c 'for i in $(seq 1 8); do curl -s -o /dev/null http://192.0.2.2:8080/healthz; sleep 1; done'
# Many short legitimate connections: 1,500 HTTP requests back to back (each connect, request, answer,
# close), a SYN rate as high as a flood's but every handshake completed.
capture benign-many-connections python3 -c '
import socket
for i in range(1500):
    c = socket.create_connection(("192.0.2.2", 80), timeout=2)
    c.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
    while c.recv(4096): pass
    c.close()
'
# A flood amid normal traffic: a health probe twice a second for 20 s, and 6 s in, 10,000 SYNs by
# hping3 to the same port. The probes before and after the flood are the capture's own baseline.
capture hping3-flood-amid-probes bash -c '
  (for i in $(seq 1 40); do curl -s -m 1 -o /dev/null http://192.0.2.2:8080/healthz; sleep 0.5; done) &
  sleep 6
  hping3 -q -S -i u100 -c 10000 -p 8080 192.0.2.2
  wait'
# The flow table's worst case: a SYN flood from random spoofed sources, one flow per packet. The target has
# no route back to the sources (only 192.0.2.0/24 is on its link), so nothing answers.
capture hping3-rand-source-flood hping3 -q -S --rand-source -i u100 -c 20000 -p 80 192.0.2.2
