#!/usr/bin/env bash
# Records the lab's syscall scenarios under strace, on this machine, with real programs.
#
#   sudo traces/record/record-syscalls.sh            # from the repository root; rewrites traces/syscalls/
#
# Every command runs under   strace -f -ttt -yy -s 4096 -v -o FILE
#   -f       follow forks, clones and vforks (the whole process tree)
#   -ttt     absolute timestamps, seconds.microseconds since the epoch
#   -yy      decorate descriptors with their path, socket tuple or device (what Falco calls fd.name)
#   -s 4096  print strings up to 4096 bytes (buffers, long command lines)
#   -v       print structures unabbreviated (argv and envp of execve in full)
# strace itself starts under `env -i` with a fixed, minimal environment, so no process in a recording (the first
# one included) carries this machine's variables.
# The process tree a cluster shows is reproduced with launchers named as the container runtime's
# processes: `containerd-shim` starts `runc`, and `runc` starts the container's command. The sidecar
# next to each recording (FILE.sidecar.json) says which tree stands for which container and pod.
# Network traffic stays on loopback or inside network namespaces this script creates and removes.
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=traces/syscalls
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "run as root (strace -f of other users' processes, network namespaces)" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2"; }; }
need strace strace; need nginx nginx-light; need nmap nmap; need curl curl; need openssl openssl; need script bsdutils; need ip iproute2; need python3 python3

WORK=$(mktemp -d /tmp/tracelab-record.XXXXXX)
trap 'ip netns del tl-target 2>/dev/null || true; pkill -f "tracelab-record-http" 2>/dev/null || true; nginx -s stop -c "$WORK/nginx.conf" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/www"
source traces/record/common.sh
make_launchers

record() { # record NAME COMMAND...
  local name=$1; shift
  echo "recording $name: $*" >&2
  $CLEAN_ENV $STRACE -o "$OUT/$name.strace" "$@" >/dev/null 2>&1 || true
}

FALCO='{"id": "3f2a9c1b7d4e", "full_id": "3f2a9c1b7d4e5a6b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b", "name": "falco", "image": "docker.io/falcosecurity/falco:0.40.0", "privileged": true, "pod": {"name": "falco-wmmt2", "namespace": "default", "labels": {"app.kubernetes.io/name": "falco"}}, "commands": ["runc"]}'
DOS='{"id": "5e4d3c2b1a09", "name": "dos-attack", "image": "docker.io/library/alpine:latest", "pod": {"name": "dos-attack", "namespace": "default", "labels": {"run": "dos-attack"}}, "commands": ["runc"]}'
NMAP='{"id": "7a6b5c4d3e2f", "name": "nmap-scan", "image": "docker.io/library/alpine:latest", "pod": {"name": "nmap-scan", "namespace": "default", "labels": {"run": "nmap-scan"}}, "commands": ["runc"]}'

# A web server on loopback for curl (never the internet).
mkdir -p "$WORK/www"; echo '<html><body>lab</body></html>' > "$WORK/www/index.html"
(cd "$WORK/www" && exec -a tracelab-record-http python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1) &
sleep 1

# Q1: kubectl exec <falco pod> -- cat /etc/shadow
record q1-cat-shadow $SHIM cat /etc/shadow
sidecar q1-cat-shadow "$FALCO" "Q1: kubectl exec into the Falco pod runs cat /etc/shadow"

# Q2: kubectl exec -it nginx-pod -- bash; a few commands; exit (an interactive shell on a pty).
mkdir -p "$WORK/home"
printf 'ls /\nid\ncat /etc/hostname\nexit\n' | script -qfec "${CLEAN_ENV/HOME=\/root/HOME=$WORK/home} $STRACE -o $OUT/q2-shell-in-nginx.strace $SHIM bash -i" /dev/null >/dev/null 2>&1 || true
sidecar q2-shell-in-nginx "$NGINX" "Q2: kubectl exec -it nginx-pod -- bash, then ls, id, cat, exit on a terminal"

# The curl rule and Q3: curl in nginx-pod against a server on loopback; curl on the host; another downloader.
record curl-in-nginx $SHIM curl -s -o /dev/null http://127.0.0.1:18080/
sidecar curl-in-nginx "$NGINX" "curl run by kubectl exec nginx-pod -- curl (against a server on loopback)"
record curl-on-host curl -s -o /dev/null http://127.0.0.1:18080/
sidecar curl-on-host "" "curl on the host, outside any container"
record python-download-in-nginx $SHIM python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:18080/").read()'
sidecar python-download-in-nginx "$NGINX" "another program (python urllib) downloading in nginx-pod"

# Q4/Q5: reading and writing /tmp/sensitive.txt by different programs and syscalls, and the same programs on other files.
echo "secret" > /tmp/sensitive.txt; echo "ordinary" > /tmp/ordinary.txt
record sensitive-file-access $SHIM sh -c '
  cat /tmp/sensitive.txt
  echo appended >> /tmp/sensitive.txt
  python3 -c "open(\"/tmp/sensitive.txt\").read(); f = open(\"/tmp/sensitive.txt\", \"w\"); f.write(\"rewritten\n\"); f.close()"
  cp /tmp/sensitive.txt /tmp/sensitive.swp && mv /tmp/sensitive.swp /tmp/sensitive.txt
  head -c 3 /tmp/sensitive.txt
  grep -c secret /tmp/sensitive.txt || true'
sidecar sensitive-file-access "$NGINX" "Q4/Q5: cat, shell redirection, python read and write, an editor-like save (copy and rename), head and grep on /tmp/sensitive.txt in nginx-pod"
record ordinary-file-access $SHIM sh -c '
  cat /tmp/ordinary.txt
  echo appended >> /tmp/ordinary.txt
  python3 -c "open(\"/tmp/ordinary.txt\").read(); f = open(\"/tmp/ordinary.txt\", \"w\"); f.write(\"rewritten\n\"); f.close()"
  head -c 3 /tmp/ordinary.txt; grep -c rewritten /tmp/ordinary.txt || true; ls -l /tmp/ordinary.txt'
sidecar ordinary-file-access "$NGINX" "the same programs and syscalls on /tmp/ordinary.txt (must not count as sensitive)"

# Scenario 1: the DoS pod running openssl speed in a loop (bounded to 4 seconds).
record dos-openssl-speed $SHIM timeout 4 sh -c 'while true; do openssl speed -seconds 1 sha256 >/dev/null 2>&1; done'
sidecar dos-openssl-speed "$DOS" "Scenario 1: kubectl run dos-attack -- sh -c 'while true; do openssl speed; done' (4 s)"

# Scenario 2: the nmap pod scanning a target inside a network namespace this script creates.
ip netns add tl-target
ip link add tl-veth0 type veth peer name tl-veth1
ip link set tl-veth1 netns tl-target
ip addr add 10.77.0.1/24 dev tl-veth0; ip link set tl-veth0 up
ip netns exec tl-target ip addr add 10.77.0.2/24 dev tl-veth1
ip netns exec tl-target ip link set tl-veth1 up; ip netns exec tl-target ip link set lo up
(ip netns exec tl-target timeout 30 python3 -m http.server 80 --bind 10.77.0.2 >/dev/null 2>&1 &)
sleep 1
record nmap-scan $SHIM sh -c 'dpkg -s nmap >/dev/null; nmap -n -sS -Pn -p 20-100 --max-retries 1 10.77.0.2'
sidecar nmap-scan "$NMAP" "Scenario 2: the nmap pod checks its package and runs nmap -sS -p 20-100 against 10.77.0.2 (a network namespace)"
ip link del tl-veth0 2>/dev/null || true

# Benign: nginx serving requests and health probes; a package manager query on the host; ordinary tools; an entrypoint script.
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log;
events { worker_connections 64; }
http { access_log $WORK/access.log; server { listen 127.0.0.1:18081; root $WORK/www; location /healthz { return 200 "ok"; } } }
CONF
( $CLEAN_ENV $STRACE -o "$OUT/benign-nginx-serving.strace" $SHIM timeout 4 nginx -c "$WORK/nginx.conf" >/dev/null 2>&1 & )
sleep 1.5
for i in 1 2 3 4 5; do curl -s -o /dev/null http://127.0.0.1:18081/; curl -s -o /dev/null http://127.0.0.1:18081/healthz; done
sleep 3
sidecar benign-nginx-serving "$NGINX" "nginx serving ten requests (pages and /healthz probes) in nginx-pod; the clients are outside the recording"
record benign-package-query dpkg-query -W bash coreutils
sidecar benign-package-query "" "a package manager query on the host (dpkg-query -W bash coreutils)"
record benign-ordinary-tools $SHIM sh -c 'ls -la /etc >/dev/null; cat /etc/os-release >/dev/null; grep -c root /etc/passwd >/dev/null; wc -l /etc/hosts >/dev/null'
sidecar benign-ordinary-tools "$NGINX" "ls, cat, grep and wc on ordinary files in nginx-pod"
printf '#!/bin/sh\necho starting\nmkdir -p /tmp/app-cache\ndate > /tmp/app-cache/started\nls /tmp/app-cache\n' > "$WORK/docker-entrypoint.sh"; chmod +x "$WORK/docker-entrypoint.sh"
record benign-entrypoint-script $SHIM "$WORK/docker-entrypoint.sh"
sidecar benign-entrypoint-script "$NGINX" "the container's entrypoint shell script, run without a terminal"

rm -f /tmp/sensitive.txt /tmp/ordinary.txt
# Paths of the temporary launchers are kept as recorded (the sidecar maps them to the runtime).
echo "recordings written to $OUT" >&2
