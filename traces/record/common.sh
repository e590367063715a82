# Shared by the strace recording scripts (sourced, not run): the strace command, the clean environment, the
# container-runtime launchers, nginx-pod's container and the sidecar writer. Needs WORK (a scratch folder) and
# OUT (the output folder) set by the caller; call make_launchers before using SHIM.

STRACE="strace -f -ttt -yy -s 4096 -v"
CLEAN_ENV="env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=xterm HOSTNAME=minikube"
SHIM="$WORK/bin/containerd-shim $WORK/bin/runc"
NGINX='{"id": "9b8c7d6e5f4a", "name": "nginx-pod", "image": "docker.io/library/nginx:latest", "pod": {"name": "nginx-pod", "namespace": "default", "labels": {"run": "nginx-pod"}, "ip": "10.244.0.15"}, "commands": ["runc"]}'

# containerd-shim and runc stand-ins in $WORK/bin: each starts its arguments as a child.
make_launchers() {
  mkdir -p "$WORK/bin"
  for launcher in containerd-shim runc; do
    printf '#!/bin/sh\n# stands for the container runtime: starts its arguments as a child\n"$@"\n' > "$WORK/bin/$launcher"
    chmod +x "$WORK/bin/$launcher"
  done
}

sidecar() { # sidecar NAME CONTAINER_JSON DESCRIPTION
  cat > "$OUT/$1.strace.sidecar.json" <<JSON
{
  "hostname": "minikube",
  "description": "$3",
  "uid": 0,
  "loginuid": -1,
  "users": {"0": "root", "101": "nginx", "65534": "nobody"},
  "groups": {"0": "root", "101": "nginx"},
  "containers": [$2]
}
JSON
}
