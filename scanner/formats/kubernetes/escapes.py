"""Container escapes read from a pod spec: which of KubeHound's escape techniques a workload's containers allow.

Each technique is a ``(name, attribute path)`` pair, the path being the
setting that enables it (so a path step points at that line). Only the
containers that serve (regular and ephemeral, not init containers: those
have finished before anyone can reach the pod) count; a value known only at
apply time enables nothing. Host paths are compared after normalising
(``//var/log/`` is ``/var/log``); mounting a directory exposes everything
under it, so a mount of ``/`` or ``/var`` exposes ``/var/log``.
"""

from __future__ import annotations

import posixpath
from typing import Any, Iterator

from ...model import Resource
from .objects import items, mapping

# Host directories where writing as root gives code execution on the node (cron, systemd units,
# static pod manifests, the dynamic loader, binaries and libraries, the container runtimes' state).
WRITE_TARGETS = ("/etc/cron.d", "/etc/crontab", "/etc/systemd", "/etc/kubernetes", "/etc/ld.so.preload",
                 "/etc/sudoers", "/etc/passwd", "/etc/shadow", "/root/.ssh", "/usr/bin", "/usr/sbin",
                 "/usr/local/bin", "/usr/lib", "/bin", "/sbin", "/lib", "/lib64", "/boot",
                 "/var/spool/cron", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd")
# Host files that hold the node's (or the control plane's) credentials: reading them is acting as it.
READ_TARGETS = ("/etc/kubernetes", "/var/lib/kubelet/pki", "/var/lib/kubelet/kubeconfig")
KUBELET_PODS = "/var/lib/kubelet/pods"   # every pod's projected service account token
CORE_PATTERN = "/proc/sys/kernel"        # core_pattern: a program the kernel runs as root
VAR_LOG = "/var/log"                     # the kubelet serves it: a symlink there reads any host file
RUNTIME_SOCKETS = ("/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock",
                   "/run/cri-dockerd.sock", "/run/podman/podman.sock", "/run/dockershim.sock")
_SOCKET_NAMES = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock",
                 "dockershim.sock")


def escapes(w: Resource) -> list[tuple[str, str]]:
    """The escape techniques ``w``'s serving containers allow, each with the attribute path that enables it."""
    pod = mapping(w.attributes.get("$pod"))
    host_pid = pod.get("hostPID") is True
    host_paths = _host_paths(pod)
    found: dict[str, str] = {}
    for n, c in enumerate(items(w.attributes.get("$containers"))):
        if not isinstance(c, dict) or c.get("$group") == "initContainers":
            continue
        base = f"$containers.{n}"
        for technique, path in _container(c, base, host_pid, host_paths):
            found.setdefault(technique, path)
    return sorted(found.items())


def _container(c: dict[str, Any], base: str, host_pid: bool,
               host_paths: dict[str, str]) -> Iterator[tuple[str, str]]:
    effective = mapping(c.get("$effective"))
    privileged = effective.get("privileged") is True
    caps = {str(x).upper().removeprefix("CAP_") for x in items(mapping(effective.get("capabilities")).get("add"))}
    root = effective.get("nonRoot") is False   # may run as user 0 (not proven otherwise)
    priv_path, caps_path = f"{base}.$effective.privileged", f"{base}.$effective.capabilities.add"
    if privileged:
        yield "CE_PRIV_MOUNT", priv_path
        yield "CE_MODULE_LOAD", priv_path
        if host_pid:
            yield "CE_NSENTER", "$pod.hostPID"
    if not privileged and caps & {"SYS_MODULE", "ALL"}:
        yield "CE_MODULE_LOAD", caps_path
    if host_pid and (privileged or "ALL" in caps or {"SYS_PTRACE", "SYS_ADMIN"} <= caps):
        yield "CE_SYS_PTRACE", "$pod.hostPID" if privileged else caps_path
    if not root:
        return  # the host's sensitive files and sockets belong to root
    for i, m in enumerate(items(c.get("volumeMounts"))):
        host = host_paths.get(str(mapping(m).get("name")))
        if host is None:
            continue
        writable = mapping(m).get("readOnly") is False or "readOnly" not in mapping(m)
        for technique in _mount(host, writable):
            yield technique, f"{base}.volumeMounts.{i}"


def _mount(host: str, writable: bool) -> Iterator[str]:
    """The techniques a mount of host directory ``host`` gives a root process."""
    if _exposes(host, CORE_PATTERN) and writable:
        yield "CE_UMH_CORE_PATTERN"
    if _exposes(host, VAR_LOG) and writable:
        yield "CE_VAR_LOG_SYMLINK"
    if _exposes(host, KUBELET_PODS):
        yield "EXPLOIT_HOST_TRAVERSE"
    if any(_exposes(host, t) or _under(host, t) for t in READ_TARGETS):
        yield "EXPLOIT_HOST_READ"
    if writable and any(_exposes(host, t) for t in WRITE_TARGETS):
        yield "EXPLOIT_HOST_WRITE"
    run = "/run" + host[len("/var/run"):] if host == "/var/run" or host.startswith("/var/run/") else host
    if any(_exposes(run, s) for s in RUNTIME_SOCKETS) or host.endswith(_SOCKET_NAMES):
        yield "EXPLOIT_CONTAINERD_SOCK"


def _host_paths(pod: dict[str, Any]) -> dict[str, str]:
    """Volume name -> normalised host path, for the pod's hostPath volumes with a literal path."""
    out: dict[str, str] = {}
    for v in items(pod.get("volumes")):
        path = mapping(mapping(v).get("hostPath")).get("path")
        if isinstance(path, str) and path.startswith("/") and isinstance(mapping(v).get("name"), str):
            out[v["name"]] = normalise(path)
    return out


def normalise(path: str) -> str:
    """``//var/log/`` -> ``/var/log``; ``/`` stays ``/``."""
    clean = posixpath.normpath(path)
    return "/" if clean in ("/", "//") else clean


def _exposes(mounted: str, target: str) -> bool:
    """Whether mounting host directory ``mounted`` exposes ``target`` (it is ``target`` or a parent of it)."""
    return mounted == "/" or mounted == target or target.startswith(mounted + "/")


def _under(mounted: str, target: str) -> bool:
    return mounted.startswith(target + "/")
