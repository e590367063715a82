# Shared by the strace recording scripts (sourced, not run): the container-runtime launchers and the sidecar
# writer. Needs WORK (a scratch folder) and OUT (the output folder) set by the caller.

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
