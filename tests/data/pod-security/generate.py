#!/usr/bin/env python3
"""Pod Security conformance cases for every version boundary, written by GitOpsSec (not copied from upstream).

Each case is the same base pod, which every level admits at every version, with one mutation, as
kubernetes/pod-security-admission builds its own fixtures. The expectation of each case is written here from
the facts of upstream's check registrations (policy/check_*.go: the version each check appears at, its
versioned variants, the Windows and user-namespace exemptions, the restricted checks that override baseline
ones), as a function of level and minor version: the set of GitOpsSec rule ids the API server would name.

Run: python3 tests/data/pod-security/generate.py > tests/data/pod-security/cases.json
"""
import copy
import json

NEWEST = 37
VERSIONS = [0, 7, 8, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, "latest"]


def base():
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "case", "namespace": "conformance"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": "registry.example.com/app:1.0",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }],
            "initContainers": [{
                "name": "init", "image": "registry.example.com/init:1.0",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }


def container(pod):
    return pod["spec"]["containers"][0]


def sc(pod):
    return container(pod)["securityContext"]


def at(minor):
    return NEWEST if minor == "latest" else minor


CASES = []


def case(name, mutate, expect):
    """expect(level, minor) -> set of rule ids; level is 'baseline' or 'restricted'."""
    pod = base()
    mutate(pod)
    results = {}
    for level in ("baseline", "restricted"):
        for v in VERSIONS:
            results[f"{level}:{'latest' if v == 'latest' else f'v1.{v}'}"] = sorted(expect(level, at(v)))
    CASES.append({"name": name, "pod": pod, "expect": results})


def always(rule):
    return lambda level, v: {rule}


def baseline_from(rule, since=0, until=None):
    return lambda level, v: {rule} if v >= since and (until is None or v < until) else set()


def restricted_from(rule, since=0, until=None):
    return lambda level, v: {rule} if level == "restricted" and v >= since and (until is None or v < until) else set()


# The base pod itself: admitted everywhere.
case("base", lambda p: None, lambda level, v: set())

# Baseline controls registered at v1.0, unchanged since.
case("hostProcess", lambda p: sc(p).update({"windowsOptions": {"hostProcess": True}}), always("GOS1001"))
case("hostNetwork", lambda p: p["spec"].update({"hostNetwork": True}), always("GOS1002"))
case("hostPID", lambda p: p["spec"].update({"hostPID": True}), always("GOS1002"))
case("privileged", lambda p: sc(p).update({"privileged": True}), always("GOS1003"))
case("hostPath", lambda p: p["spec"].update({"volumes": [{"name": "h", "hostPath": {"path": "/var/run"}}]}),
     lambda level, v: {"GOS1005"} | ({"GOS1101"} if level == "restricted" else set()))
case("hostPort", lambda p: container(p).update({"ports": [{"containerPort": 80, "hostPort": 8080}]}), always("GOS1006"))
case("appArmor-unconfined", lambda p: sc(p).update({"appArmorProfile": {"type": "Unconfined"}}), always("GOS1007"))
case("appArmor-annotation-empty", lambda p: p["metadata"].update({"annotations": {"container.apparmor.security.beta.kubernetes.io/app": ""}}),
     lambda level, v: set())
case("seLinux-user", lambda p: sc(p).update({"seLinuxOptions": {"user": "system_u"}}), always("GOS1008"))

# Baseline capabilities (v1.0); at the restricted level capabilities_restricted (v1.22) replaces it.
def caps_add(cap):
    return lambda p: sc(p)["capabilities"].update({"add": [cap]})


case("capabilities-add-SYS_ADMIN", caps_add("SYS_ADMIN"),
     lambda level, v: {"GOS1004"} if level == "baseline" or v < 22 else {"GOS1106"})
case("capabilities-add-CHOWN", caps_add("CHOWN"),
     lambda level, v: {"GOS1106"} if level == "restricted" and v >= 22 else set())
case("capabilities-add-NET_BIND_SERVICE", caps_add("NET_BIND_SERVICE"), lambda level, v: set())
case("capabilities-not-dropped", lambda p: sc(p).pop("capabilities"), restricted_from("GOS1106", 22))


def windows(p):
    p["spec"]["os"] = {"name": "windows"}


def windows_caps(p):
    windows(p)
    caps_add("SYS_ADMIN")(p)


# Windows pods: exempt from the restricted capabilities, seccomp and privilege-escalation checks from v1.25;
# since the restricted capabilities check overrides the baseline one, a Windows pod may add SYS_ADMIN at restricted then.
case("windows-capabilities-add-SYS_ADMIN", windows_caps,
     lambda level, v: {"GOS1004"} if level == "baseline" or v < 22 else ({"GOS1106"} if v < 25 else set()))
case("windows-allowPrivilegeEscalation-unset", lambda p: (windows(p), sc(p).pop("allowPrivilegeEscalation")),
     restricted_from("GOS1102", 8, 25))
case("windows-seccomp-unset", lambda p: (windows(p), p["spec"]["securityContext"].pop("seccompProfile")),
     restricted_from("GOS1105", 19, 25))
case("linux-allowPrivilegeEscalation-unset", lambda p: sc(p).pop("allowPrivilegeEscalation"), restricted_from("GOS1102", 8))
case("allowPrivilegeEscalation-true", lambda p: sc(p).update({"allowPrivilegeEscalation": True}), restricted_from("GOS1102", 8))


# procMount: baseline v1.0; from v1.35 baseline allows Unmasked for pods with hostUsers: false, restricted does not.
def unmasked(p):
    sc(p).update({"procMount": "Unmasked"})


def userns(p):
    p["spec"]["hostUsers"] = False


case("procMount-Unmasked", unmasked, always("GOS1009"))
case("procMount-Unmasked-hostUsers-false", lambda p: (userns(p), unmasked(p)),
     lambda level, v: {"GOS1009"} if level == "restricted" or v < 35 else set())

# Seccomp baseline: annotations before v1.19, fields from v1.19; at restricted, seccompProfile_restricted (v1.19) replaces it.
case("seccomp-annotation-unconfined", lambda p: p["metadata"].update({"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}),
     lambda level, v: {"GOS1010"} if v < 19 else set())
case("seccomp-container-annotation-unconfined",
     lambda p: p["metadata"].update({"annotations": {"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"}}),
     lambda level, v: {"GOS1010"} if v < 19 else set())
case("seccomp-annotation-docker-default", lambda p: p["metadata"].update({"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"}}),
     lambda level, v: set())
case("seccomp-field-unconfined", lambda p: sc(p).update({"seccompProfile": {"type": "Unconfined"}}),
     lambda level, v: set() if v < 19 else ({"GOS1010"} if level == "baseline" else {"GOS1105"}))
case("seccomp-unset", lambda p: p["spec"]["securityContext"].pop("seccompProfile"), restricted_from("GOS1105", 19))


# Sysctls: the safe set grows at v1.27, v1.29, v1.32 and v1.37.
def sysctl(name):
    return lambda p: p["spec"]["securityContext"].update({"sysctls": [{"name": name, "value": "1"}]})


case("sysctl-kernel.shm_rmid_forced", sysctl("kernel.shm_rmid_forced"), lambda level, v: set())
case("sysctl-ip_local_reserved_ports", sysctl("net.ipv4.ip_local_reserved_ports"), baseline_from("GOS1011", 0, 27))
case("sysctl-tcp_keepalive_time", sysctl("net.ipv4.tcp_keepalive_time"), baseline_from("GOS1011", 0, 29))
case("sysctl-tcp_rmem", sysctl("net.ipv4.tcp_rmem"), baseline_from("GOS1011", 0, 32))
case("sysctl-tcp_slow_start_after_idle", sysctl("net.ipv4.tcp_slow_start_after_idle"), baseline_from("GOS1011", 0, 37))
case("sysctl-tcp_notsent_lowat", sysctl("net.ipv4.tcp_notsent_lowat"), baseline_from("GOS1011", 0, 37))
case("sysctl-kernel.msgmax", sysctl("kernel.msgmax"), always("GOS1011"))

# SELinux: container_engine_t allowed from v1.31.
case("seLinux-container_engine_t", lambda p: sc(p).update({"seLinuxOptions": {"type": "container_engine_t"}}), baseline_from("GOS1008", 0, 31))
case("seLinux-spc_t", lambda p: sc(p).update({"seLinuxOptions": {"type": "spc_t"}}), always("GOS1008"))

# Host probes and lifecycle handlers: baseline from v1.34.
case("probe-httpGet-host", lambda p: container(p).update({"livenessProbe": {"httpGet": {"port": 8080, "host": "10.0.0.1"}}}), baseline_from("GOS1012", 34))
case("lifecycle-tcpSocket-host", lambda p: container(p).update({"lifecycle": {"preStop": {"tcpSocket": {"port": 9000, "host": "example.com"}}}}),
     baseline_from("GOS1012", 34))

# Restricted volumes (v1.0).
case("volume-nfs", lambda p: p["spec"].update({"volumes": [{"name": "n", "nfs": {"server": "nfs.example.com", "path": "/"}}]}), restricted_from("GOS1101"))
case("volume-configMap", lambda p: p["spec"].update({"volumes": [{"name": "c", "configMap": {"name": "cm"}}]}), lambda level, v: set())

# runAsNonRoot (v1.0) and runAsUser (v1.23); pods with hostUsers: false exempt from both from v1.35.
case("runAsNonRoot-false", lambda p: sc(p).update({"runAsNonRoot": False}), restricted_from("GOS1103"))
case("runAsNonRoot-unset", lambda p: p["spec"]["securityContext"].pop("runAsNonRoot"), restricted_from("GOS1103"))
case("runAsNonRoot-unset-hostUsers-false", lambda p: (userns(p), p["spec"]["securityContext"].pop("runAsNonRoot")), restricted_from("GOS1103", 0, 35))
case("runAsUser-0", lambda p: sc(p).update({"runAsUser": 0}), restricted_from("GOS1104", 23))
case("runAsUser-0-hostUsers-false", lambda p: (userns(p), sc(p).update({"runAsUser": 0})), restricted_from("GOS1104", 23, 35))
case("runAsUser-1000", lambda p: sc(p).update({"runAsUser": 1000}), lambda level, v: set())

print(json.dumps({
    "about": "Generated by tests/data/pod-security/generate.py from the facts of kubernetes/pod-security-admission policy/check_*.go "
             "(version registrations up to v1.37). Each case: one mutation of an admissible base pod; expect: the GitOpsSec rule ids "
             "the API server names at each level:version.",
    "cases": CASES,
}, indent=1))
