#!/usr/bin/env bash
# Records the evasion corpus of issue 20: each lab behaviour (reading /etc/shadow or /tmp/sensitive.txt,
# writing the sensitive file, a shell in a container, fetching a URL in a container) done many ways, each
# variant a real program run on this machine under strace, as traces/record/record-syscalls.sh does.
#
#   sudo traces/record/record-evasions.sh        # from the repository root; rewrites traces/syscalls/evasions/
#
# Same strace flags, launchers and sidecars as record-syscalls.sh (traces/record/common.sh), but strace itself
# starts in the clean environment, so no recorded process sees this machine's. Every variant but one runs in
# nginx-pod (an attacker in a compromised web container). Which behaviour each variant performs and whether a
# correct rule should catch it is written in scenarios/evasions.yaml, not here.
# Network traffic goes only to a python web server on 127.0.0.1:18082.
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=traces/syscalls/evasions
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "run as root (strace -f, reading /etc/shadow, su)" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2"; }; }
need strace strace; need curl curl; need wget wget; need busybox busybox; need ncat ncat; need script bsdutils; need python3 python3
need perl perl; need less less

WORK=$(mktemp -d /tmp/tracelab-record.XXXXXX)
trap 'pkill -f "tracelab-evasion-http" 2>/dev/null || true; rm -rf "$WORK" /tmp/sensitive.txt /tmp/sensitive.txt-link /tmp/shadow-link /tmp/sensitive-hard /tmp/new-sensitive /tmp/copy-shadow /tmp/copy-sensitive.txt' EXIT
mkdir -p "$WORK/www" "$WORK/home"
source traces/record/common.sh
make_launchers

# variant NAME DESCRIPTION SCRIPT: runs the shell script (sh -c) in nginx-pod, without a terminal.
variant() {
  echo "recording $1" >&2
  $CLEAN_ENV $STRACE -o "$OUT/$1.strace" $SHIM sh -c "$3" >/dev/null 2>&1 </dev/null || true
  sidecar "$1" "$NGINX" "$2"
}
# on_host NAME DESCRIPTION SCRIPT: the same outside any container.
on_host() {
  echo "recording $1" >&2
  $CLEAN_ENV $STRACE -o "$OUT/$1.strace" sh -c "$3" >/dev/null 2>&1 </dev/null || true
  sidecar "$1" "" "$2"
}
# terminal NAME DESCRIPTION COMMAND: runs COMMAND in nginx-pod on a pseudo-terminal (kubectl exec -it), typing
# two commands and exit into it.
terminal() {
  echo "recording $1" >&2
  printf 'id\ncat /etc/hostname\nexit\n' | script -qfec "${CLEAN_ENV/HOME=\/root/HOME=$WORK/home} $STRACE -o $OUT/$1.strace $SHIM $3" /dev/null >/dev/null 2>&1 || true
  sidecar "$1" "$NGINX" "$2"
}

echo secret > /tmp/sensitive.txt
(cd "$WORK/www" && echo '<html><body>lab</body></html>' > index.html && exec -a tracelab-evasion-http python3 -m http.server 18082 --bind 127.0.0.1 >/dev/null 2>&1) &
sleep 1
URL=http://127.0.0.1:18082/

# Reading a file: /etc/shadow and /tmp/sensitive.txt, each way.
for target in shadow sensitive; do
  case $target in shadow) F=/etc/shadow; D=/etc; B=shadow ;; sensitive) F=/tmp/sensitive.txt; D=/tmp; B=sensitive.txt ;; esac
  variant read-$target-cat "cat $F" "cat $F"
  variant read-$target-less "less $F (not on a terminal: it copies the file)" "less $F"
  variant read-$target-head-tail "head and tail of $F" "head -n 1 $F; tail -n 1 $F"
  variant read-$target-dd "dd if=$F" "dd if=$F of=/dev/null status=none"
  variant read-$target-cp "cp $F to /tmp/copy-$B, then cat the copy" "cp $F /tmp/copy-$B && cat /tmp/copy-$B; rm -f /tmp/copy-$B"
  variant read-$target-python "python3 open($F).read()" "python3 -c 'open(\"$F\").read()'"
  variant read-$target-perl "perl reads $F" "perl -ne 'print if 0' $F"
  variant read-$target-redirect "shell redirection: read line < $F" "read line < $F"
  variant read-$target-relative "cd $D, then cat $B (a relative path)" "cd $D && cat $B"
  variant read-$target-symlink "cat through a symbolic link /tmp/$B-link to $F" "ln -sf $F /tmp/$B-link && cat /tmp/$B-link; rm -f /tmp/$B-link"
  variant read-$target-proc-root "cat /proc/self/root$F" "cat /proc/self/root$F"
  variant read-$target-openat2 "openat2(2) through python ctypes" "python3 -c 'import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); how = (ctypes.c_uint64 * 3)(os.O_RDONLY, 0, 0); fd = libc.syscall(437, -100, b\"$F\", how, 24); os.read(fd, 64) if fd >= 0 else None'"
  variant read-$target-rdwr "python3 opens $F with O_RDWR and reads" "python3 -c 'import os; fd = os.open(\"$F\", os.O_RDWR); os.read(fd, 64)'"
  variant read-$target-mmap "python3 maps $F with mmap" "python3 -c 'import mmap; f = open(\"$F\", \"rb\"); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); m[:4]'"
  variant read-$target-sendfile "python3 copies $F with sendfile(2)" "python3 -c 'import os; s = os.open(\"$F\", os.O_RDONLY); d = os.open(\"/dev/null\", os.O_WRONLY); os.sendfile(d, s, 0, 4096)'"
  variant read-$target-splice "python3 reads $F through a pipe with splice(2)" "python3 -c 'import os; s = os.open(\"$F\", os.O_RDONLY); r, w = os.pipe(); os.splice(s, w, 4096); os.read(r, 4096)'"
  variant read-$target-find-exec "find $D -name $B -exec cat {} +" "find $D -maxdepth 1 -name $B -exec cat {} +"
  variant read-$target-xargs "echo $F | xargs cat" "echo $F | xargs cat"
done
# A hard link needs the same file system: /tmp only (not /etc/shadow).
variant read-sensitive-hardlink "cat through a hard link /tmp/sensitive-hard to /tmp/sensitive.txt" "ln -f /tmp/sensitive.txt /tmp/sensitive-hard && cat /tmp/sensitive-hard; rm -f /tmp/sensitive-hard"

# Writing the sensitive file, each way; touch -c changes times only (no match expected).
variant write-sensitive-tee "tee -a /tmp/sensitive.txt" "echo more | tee -a /tmp/sensitive.txt"
variant write-sensitive-append "shell append >> /tmp/sensitive.txt" "echo more >> /tmp/sensitive.txt"
variant write-sensitive-sed-i "sed -i (writes a temporary file and renames it over /tmp/sensitive.txt)" "sed -i s/more/less/ /tmp/sensitive.txt"
variant write-sensitive-truncate "truncate -s 0 /tmp/sensitive.txt" "truncate -s 0 /tmp/sensitive.txt; echo secret > /tmp/sensitive.txt"
variant write-sensitive-mv "mv a new file onto /tmp/sensitive.txt (rename)" "echo replaced > /tmp/new-sensitive && mv /tmp/new-sensitive /tmp/sensitive.txt"
variant write-sensitive-python-rename "python3 os.rename of a new file onto /tmp/sensitive.txt" "echo replaced > /tmp/new-sensitive && python3 -c 'import os; os.rename(\"/tmp/new-sensitive\", \"/tmp/sensitive.txt\")'"
variant touch-sensitive-times "touch -c /tmp/sensitive.txt (times only, no open)" "touch -c /tmp/sensitive.txt"
variant touch-sensitive-open "touch /tmp/sensitive.txt (GNU touch opens it for writing, then sets times)" "touch /tmp/sensitive.txt"

# A shell in the container on a terminal, each way.
cp /bin/bash "$WORK/bin/kworker"
terminal shell-bash "bash -i on a terminal" "bash -i"
terminal shell-sh "sh -i (dash) on a terminal" "sh -i"
terminal shell-dash "dash -i on a terminal" "dash -i"
terminal shell-busybox "busybox sh -i on a terminal" "busybox sh -i"
terminal shell-python-pty "python3 pty.spawn(/bin/sh) on a terminal" "python3 -c 'import pty; pty.spawn(\"/bin/sh\")'"
terminal shell-script "script -q runs bash on a new terminal" "script -qc /bin/bash /dev/null"
terminal shell-su "su root -s /bin/dash on a terminal (dash: no start-up files of the machine)" "su root -s /bin/dash"
terminal shell-renamed "a copy of bash named kworker, -i on a terminal" "$WORK/bin/kworker -i"

# Fetching a URL in the container, each way; curl on the host (no match expected).
cp /usr/bin/curl "$WORK/bin/kfetch"
variant fetch-curl "curl $URL" "curl -s -o /dev/null $URL"
variant fetch-curl-renamed "a copy of curl named kfetch" "$WORK/bin/kfetch -s -o /dev/null $URL"
variant fetch-wget "wget $URL" "wget -q -O /dev/null $URL"
variant fetch-busybox-wget "busybox wget $URL" "busybox wget -q -O /dev/null $URL"
variant fetch-python-urllib "python3 urllib.request" "python3 -c 'import urllib.request; urllib.request.urlopen(\"$URL\").read()'"
variant fetch-ncat "an HTTP request typed into ncat" "printf 'GET / HTTP/1.0\r\n\r\n' | ncat 127.0.0.1 18082"
variant fetch-bash-dev-tcp "bash /dev/tcp redirection" "bash -c 'exec 3<>/dev/tcp/127.0.0.1/18082; printf \"GET / HTTP/1.0\r\n\r\n\" >&3; cat <&3'"
on_host fetch-curl-host "curl on the host, outside any container" "curl -s -o /dev/null $URL"

# The launchers and copies live in a temporary folder: their paths are kept as recorded.
echo "recordings written to $OUT" >&2
