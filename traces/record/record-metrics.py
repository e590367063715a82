#!/usr/bin/env python3
"""Records the lab's metric scenarios as cAdvisor and node_exporter series, in OpenMetrics text.

Real workloads run on this machine in real cgroup v1 hierarchies laid out like the kubelet's
(tracelab-kubepods/pod<uid>/<container-id> under the cpuacct and memory controllers), and in network
namespaces created here (TEST-NET-1 addresses only, no default route, removed at the end). Every
SCRAPE seconds the script reads what cAdvisor and node_exporter read:

  cpuacct.usage                      -> container_cpu_usage_seconds_total (container and pod level)
  memory.usage_in_bytes              -> container_memory_usage_bytes
  usage - memory.stat total_inactive_file -> container_memory_working_set_bytes
  /proc/<pid>/net/dev of a pod       -> container_network_{receive,transmit}_{bytes,packets}_total
  /proc/<pid>/net/dev and net/snmp of a node namespace -> node_network_*_total, node_netstat_Tcp_*
  /proc/stat                         -> node_cpu_seconds_total (the real machine, instance "minikube")

Timeline (DURATION seconds, default 960): web (nginx) serving a client's requests and an idle coredns
all along; the DoS pod (`while true; do openssl speed; done`) from 25% to 50% of the run; the scan pod
(`nmap -sS -p- --max-rate 1500 192.0.2.0/24`, bounded by a timeout) from 62.5% to 80%: only three hosts
answer here, so the rate cap spreads the scan over about two minutes, as a /24 of mostly silent addresses does. Run as root from the repository
root: python3 traces/record/record-metrics.py [OUT]
"""
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

OUT = sys.argv[1] if len(sys.argv) > 1 else "traces/metrics/lab-attacks.om"
DURATION = int(os.environ.get("DURATION", "960"))
SCRAPE = float(os.environ.get("SCRAPE", "5"))
CGROUP = "/sys/fs/cgroup"
ROOT = "tracelab-kubepods"
NAMESPACES = ["tl-msw", "tl-matk", "tl-mt2", "tl-mt3", "tl-mt4"]

def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def netns_setup():
    for ns in NAMESPACES:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", "tl-msw", "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", "tl-msw", "link", "set", "br0", "up")
    for name, last in [("atk", 1), ("t2", 2), ("t3", 3), ("t4", 4)]:
        sh("ip", "link", "add", f"mv-{name}", "type", "veth", "peer", "name", f"mp-{name}")
        sh("ip", "link", "set", f"mv-{name}", "netns", f"tl-m{name}")
        sh("ip", "link", "set", f"mp-{name}", "netns", "tl-msw")
        sh("ip", "-n", "tl-msw", "link", "set", f"mp-{name}", "master", "br0")
        sh("ip", "-n", "tl-msw", "link", "set", f"mp-{name}", "up")
        sh("ip", "netns", "exec", f"tl-m{name}", "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", f"tl-m{name}", "addr", "add", f"192.0.2.{last}/24", "dev", f"mv-{name}")
        sh("ip", "-n", f"tl-m{name}", "link", "set", f"mv-{name}", "up")

def netns_teardown():
    for ns in NAMESPACES:
        sh("ip", "netns", "del", ns, check=False)

class Pod:
    """A pod: a pod-level cgroup holding one container cgroup, under cpuacct and memory."""
    def __init__(self, namespace, name, container, image, netns=None):
        self.namespace, self.name, self.container, self.image, self.netns = namespace, name, container, image, netns
        self.uid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{namespace}.{name}.tracelab"))
        self.cid = hashlib.sha256(f"{namespace}/{name}/{container}".encode()).hexdigest()
        self.process = None

    def path(self, controller, container=True):
        pod = f"{CGROUP}/{controller}/{ROOT}/pod{self.uid}"
        return f"{pod}/{self.cid}" if container else pod

    def cgroup_id(self, container=True):
        return f"/{ROOT}/pod{self.uid}" + (f"/{self.cid}" if container else "")

    def start(self, command):
        for controller in ["cpuacct", "memory"]:
            os.makedirs(self.path(controller), exist_ok=True)
        procs = " ".join(f"{self.path(c)}/cgroup.procs" for c in ["cpuacct", "memory"])
        prefix = f"ip netns exec {self.netns} " if self.netns else ""
        script = f"for f in {procs}; do echo $$ > $f; done; exec {prefix}{command}"
        self.process = subprocess.Popen(["sh", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.started = time.time()

    def stop(self):
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        # Processes may take a moment to leave the cgroups.
        for controller in ["cpuacct", "memory"]:
            for path in [self.path(controller), self.path(controller, container=False)]:
                for _ in range(50):
                    try:
                        os.rmdir(path)
                        break
                    except OSError:
                        time.sleep(0.1)

    @property
    def running(self):
        return self.process is not None

def read(path):
    with open(path) as f:
        return f.read()

def inactive_file(path):
    for line in read(path + "/memory.stat").splitlines():
        key, value = line.split()
        if key == "total_inactive_file":
            return int(value)
    return 0

def in_netns(pid, ns):
    """True once the process has entered the namespace (a freshly started one may still be in the host's)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino
    except OSError:
        return False

def net_dev(pid):
    out = {}
    for line in read(f"/proc/{pid}/net/dev").splitlines()[2:]:
        name, rest = line.split(":", 1)
        fields = [int(x) for x in rest.split()]
        out[name.strip()] = {"receive_bytes": fields[0], "receive_packets": fields[1], "transmit_bytes": fields[8], "transmit_packets": fields[9]}
    return out

def snmp_tcp(pid):
    lines = [l.split() for l in read(f"/proc/{pid}/net/snmp").splitlines() if l.startswith("Tcp:")]
    return dict(zip(lines[0][1:], (int(x) for x in lines[1][1:])))

def proc_stat():
    ticks = os.sysconf("SC_CLK_TCK")
    modes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    out = {}
    for line in read("/proc/stat").splitlines():
        parts = line.split()
        if parts[0].startswith("cpu") and parts[0] != "cpu":
            for mode, value in zip(modes, parts[1:]):
                out[(parts[0][3:], mode)] = int(value) / ticks
    return out

def main():
    # A TERM (or ^C) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    series = {}  # (family, labels tuple) -> [(ts, value)]
    types = {}

    def add(family, kind, name, labels, ts, value):
        types[family] = kind
        series.setdefault((family, name, tuple(sorted(labels.items()))), []).append((ts, value))

    workdir = tempfile.mkdtemp(prefix="tracelab-metrics-")
    with open(f"{workdir}/index.html", "w") as f:
        f.write("<html><body>web</body></html>\n" * 40)
    with open(f"{workdir}/nginx.conf", "w") as f:
        f.write(f"""daemon off; worker_processes 1; pid {workdir}/nginx.pid; error_log {workdir}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; server {{ listen 192.0.2.2:80; root {workdir}; }} }}
""")
    netns_setup()
    for controller in ["cpuacct", "memory"]:
        os.makedirs(f"{CGROUP}/{controller}/{ROOT}", exist_ok=True)
        if controller == "memory":
            try:
                with open(f"{CGROUP}/memory/{ROOT}/memory.use_hierarchy", "w") as f:
                    f.write("1")
            except OSError:
                pass  # already hierarchical (inherited from the root)
    web = Pod("default", "web", "nginx", "docker.io/library/nginx:1.27", netns="tl-mt2")
    client = Pod("default", "client", "curl", "docker.io/curlimages/curl:8.10.1", netns="tl-mt3")
    coredns = Pod("kube-system", "coredns-668d6bf9bc-x7k2p", "coredns", "registry.k8s.io/coredns/coredns:v1.11.3", netns="tl-mt4")
    dos = Pod("default", "dos-attack", "dos-attack", "docker.io/library/alpine:latest")
    scan = Pod("default", "nmap-scan", "nmap-scan", "docker.io/library/alpine:latest", netns="tl-matk")
    pods = [web, client, coredns, dos, scan]
    # Node exporters: one per node namespace, read through a long-lived process in it.
    node_pids = {}
    node_ns = {}
    for ns, instance in [("tl-matk", "192.0.2.1:9100"), ("tl-mt2", "192.0.2.2:9100"), ("tl-mt3", "192.0.2.3:9100"), ("tl-mt4", "192.0.2.4:9100")]:
        p = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", str(DURATION + 60)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        node_pids[instance] = p
        node_ns[instance] = ns
    try:
        web.start(f"nginx -c {workdir}/nginx.conf")
        coredns.start("python3 -c \"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('192.0.2.4',53))\nwhile True:\n d,a=s.recvfrom(2048); s.sendto(d,a)\"")
        time.sleep(1)
        client.start("sh -c 'while true; do curl -s -o /dev/null http://192.0.2.2/; sleep 0.5; done'")
        start = time.time()
        dos_window = (DURATION * 0.25, DURATION * 0.5)
        scan_window = (DURATION * 0.625, DURATION * 0.8)
        tick = 0
        while True:
            target = start + tick * SCRAPE
            now = time.time()
            if target > start + DURATION:
                break
            if target > now:
                time.sleep(target - now)
            elapsed = time.time() - start
            if not dos.running and dos_window[0] <= elapsed < dos_window[1] and not hasattr(dos, "started"):
                dos.start("sh -c 'while true; do openssl speed; done'")
            if dos.running and elapsed >= dos_window[1]:
                dos.stop()
            if not scan.running and scan_window[0] <= elapsed < scan_window[1] and not hasattr(scan, "started"):
                limit = int(scan_window[1] - elapsed)
                scan.start(f"timeout {limit} nmap -n -sS -p- --max-retries 1 --max-rate 1500 192.0.2.0/24")
            if scan.running and (elapsed >= scan_window[1] or scan.process.poll() is not None):
                scan.stop()
            ts = round(time.time(), 3)
            for pod in pods:
                if not pod.running:
                    continue
                for level in [True, False]:
                    labels = {"namespace": pod.namespace, "pod": pod.name, "id": pod.cgroup_id(level),
                              "container": pod.container if level else "", "image": pod.image if level else "",
                              "name": f"k8s_{pod.container}_{pod.name}_{pod.namespace}_{pod.uid}_0" if level else ""}
                    try:
                        cpu = int(read(pod.path("cpuacct", level) + "/cpuacct.usage")) / 1e9
                        usage = int(read(pod.path("memory", level) + "/memory.usage_in_bytes"))
                        working = max(0, usage - inactive_file(pod.path("memory", level)))
                    except (OSError, ValueError):
                        continue
                    add("container_cpu_usage_seconds", "counter", "container_cpu_usage_seconds_total", dict(labels, cpu="total"), ts, cpu)
                    add("container_memory_usage_bytes", "gauge", "container_memory_usage_bytes", labels, ts, usage)
                    add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", labels, ts, working)
                if pod.netns and in_netns(pod.process.pid, pod.netns):
                    try:
                        devices = net_dev(pod.process.pid)
                    except (OSError, ValueError):
                        continue
                    for device, counters in devices.items():
                        if device == "lo":
                            continue
                        labels = {"namespace": pod.namespace, "pod": pod.name, "id": pod.cgroup_id(False), "container": "", "image": "", "name": "", "interface": "eth0"}
                        for key, value in counters.items():
                            add(f"container_network_{key}", "counter", f"container_network_{key}_total", labels, ts, value)
            for instance, process in node_pids.items():
                if not in_netns(process.pid, node_ns[instance]):
                    continue
                base = {"instance": instance, "job": "node-exporter"}
                for device, counters in net_dev(process.pid).items():
                    for key, value in counters.items():
                        add(f"node_network_{key}", "counter", f"node_network_{key}_total", dict(base, device=device), ts, value)
                for key, value in snmp_tcp(process.pid).items():
                    if key in ("RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn"):
                        continue
                    add(f"node_netstat_Tcp_{key}", "unknown", f"node_netstat_Tcp_{key}", base, ts, value)
            for (cpu, mode), value in proc_stat().items():
                add("node_cpu_seconds", "counter", "node_cpu_seconds_total", {"instance": "minikube", "job": "node-exporter", "cpu": cpu, "mode": mode}, ts, value)
            tick += 1
    finally:
        for pod in pods:
            pod.stop()
        for process in node_pids.values():
            process.kill()
            process.wait()
        for controller in ["cpuacct", "memory"]:
            try:
                os.rmdir(f"{CGROUP}/{controller}/{ROOT}")
            except OSError:
                pass
        netns_teardown()

    def escape(value):
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")

    def number(value):
        return str(int(value)) if float(value).is_integer() else repr(float(value))

    os.makedirs(os.path.dirname(OUT) or ".", exist_ok=True)
    with open(OUT, "w") as f:
        for family in sorted(types):
            f.write(f"# TYPE {family} {types[family]}\n")
            for (fam, name, labels), samples in sorted(series.items()):
                if fam != family:
                    continue
                text = ",".join(f'{k}="{escape(v)}"' for k, v in labels)
                for ts, value in samples:
                    f.write(f"{name}{{{text}}} {number(value)} {ts:.3f}\n")
        f.write("# EOF\n")
    print(f"{OUT}: {len(series)} series, {sum(len(s) for s in series.values())} samples over {DURATION} s every {SCRAPE} s")

if __name__ == "__main__":
    main()
