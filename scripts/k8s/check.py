"""Checks for scripts/k8s/validate.sh, run with target/k8s-venv's python.

  check.py policy LABEL RENDERED.yaml [--adapter-rules FILE]
      The rules the manifests must keep (pod security, probes, shutdown,
      store, secrets, PDB, NetworkPolicy, HPA) on one `kubectl kustomize`
      output; one line per check.

  check.py serve LABEL RENDERED.yaml ISOBOX CACHE_DIR [MORE_RENDERED.yaml ...]
      Starts the real `isobox serve` on 127.0.0.1 with the serve.toml and
      policy files of the rendered ConfigMap (store swapped for `memory`,
      tenant keys set to dummies), checks the config loads, that /livez,
      /readyz and /metrics answer, and that /metrics exports the Pods metric
      of every HPA in the renders; then kills it.

Every line starts with `ok`, `skip` or `FAIL`; the exit status is 1 when a
check failed.
"""

import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}


class Report:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def check(self, name, problems):
        """`problems`: a list of strings; empty means the check passed."""
        if problems:
            self.failed += 1
            print(f"FAIL {self.label}: {name}: " + "; ".join(problems))
        else:
            print(f"ok   {self.label}: {name}")

    def skip(self, name, why):
        print(f"skip {self.label}: {name}: {why}")


def load(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def pod_spec(obj):
    spec = obj.get("spec", {})
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return spec["template"]["spec"]


def pod_labels(obj):
    if obj["kind"] == "Pod":
        return obj["metadata"].get("labels", {})
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels", {})
    return obj["spec"]["template"]["metadata"].get("labels", {})


def selects(selector, labels):
    """A LabelSelector (matchLabels only, and simple matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def serve_files(objs):
    """The ConfigMap mounted at /etc/isobox, as {filename: text}, or None."""
    for obj in objs:
        if obj["kind"] not in POD_KINDS:
            continue
        spec = pod_spec(obj)
        for container in spec.get("containers", []):
            for mount in container.get("volumeMounts", []):
                if mount["mountPath"] != "/etc/isobox":
                    continue
                volume = next((v for v in spec.get("volumes", []) if v["name"] == mount["name"]), {})
                name = (volume.get("configMap") or {}).get("name")
                for cm in objs:
                    if cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == name:
                        return cm.get("data", {})
    return None


def policy(label, path, adapter_rules):
    report = Report(label)
    objs = load(path)
    by_kind = {}
    for obj in objs:
        by_kind.setdefault(obj["kind"], []).append(obj)
    workloads = [o for o in objs if o["kind"] in POD_KINDS]

    wanted = ["Deployment", "Service", "ServiceAccount", "ConfigMap", "Secret",
              "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]
    report.check(f"objects present ({len(objs)} objects)",
                 [f"no {kind}" for kind in wanted if kind not in by_kind])
    if not workloads:
        return report

    # Pod and container security.
    problems = []
    for obj in workloads:
        spec = pod_spec(obj)
        pod_sc = spec.get("securityContext") or {}
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            sc = c.get("securityContext") or {}
            where = f"{obj['metadata']['name']}/{c['name']}"

            def effective(key):
                return sc[key] if key in sc else pod_sc.get(key)

            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem is not true")
            if effective("runAsNonRoot") is not True:
                problems.append(f"{where}: runAsNonRoot is not true")
            if effective("runAsUser") in (None, 0):
                problems.append(f"{where}: runAsUser is unset or 0")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities do not drop ALL")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{where}: capabilities added")
            if (effective("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{obj['metadata']['name']}: {host}")
    report.check("containers: non-root, read-only root, no privilege escalation, "
                 "capabilities drop ALL, seccomp RuntimeDefault", problems)

    # Service account tokens.
    problems = []
    accounts = {sa["metadata"]["name"]: sa for sa in by_kind.get("ServiceAccount", [])}
    for obj in workloads:
        spec = pod_spec(obj)
        name = spec.get("serviceAccountName", "default")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{obj['metadata']['name']}: pod automountServiceAccountToken is not false")
        if name not in accounts:
            problems.append(f"{obj['metadata']['name']}: service account {name} is not in the manifests")
        elif accounts[name].get("automountServiceAccountToken") is not False:
            problems.append(f"service account {name}: automountServiceAccountToken is not false")
    report.check("automountServiceAccountToken false (pod and service account)", problems)

    deployments = by_kind.get("Deployment", [])
    # Probes.
    problems = []
    for obj in deployments:
        for c in pod_spec(obj)["containers"]:
            where = f"{obj['metadata']['name']}/{c['name']}"
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz"),
                                ("startupProbe", None)):
                get = (c.get(probe) or {}).get("httpGet")
                if not get:
                    problems.append(f"{where}: no {probe} httpGet")
                    continue
                if path and get.get("path") != path:
                    problems.append(f"{where}: {probe} path is {get.get('path')}, not {path}")
                port = get.get("port")
                if ports.get(port, port) != 8080:
                    problems.append(f"{where}: {probe} port {port} is not 8080")
    report.check("probes: liveness /livez, readiness /readyz, startup, on port 8080", problems)

    # Writable paths: emptyDirs at /cache (XDG_CACHE_HOME) and /tmp, config read-only.
    problems = []
    for obj in deployments:
        spec = pod_spec(obj)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            for path in ("/cache", "/tmp"):
                mount = mounts.get(path)
                if not mount or "emptyDir" not in volumes.get(mount["name"], {}):
                    problems.append(f"{c['name']}: no emptyDir at {path}")
            if env.get("XDG_CACHE_HOME") != "/cache":
                problems.append(f"{c['name']}: XDG_CACHE_HOME is not /cache")
            config = mounts.get("/etc/isobox")
            if not config or "configMap" not in volumes.get(config["name"], {}):
                problems.append(f"{c['name']}: no ConfigMap at /etc/isobox")
            elif not config.get("readOnly"):
                problems.append(f"{c['name']}: /etc/isobox is not mounted read-only")
    files = serve_files(objs)
    if files is None or "serve.toml" not in files:
        problems.append("the ConfigMap mounted at /etc/isobox (with serve.toml) is not in the manifests")
    report.check("volumes: emptyDir /cache (XDG_CACHE_HOME) and /tmp, ConfigMap with serve.toml at /etc/isobox",
                 problems)

    config = None
    if files and "serve.toml" in files and tomllib is not None:
        try:
            config = tomllib.loads(files["serve.toml"])
        except tomllib.TOMLDecodeError as e:
            report.check("serve.toml parses", [str(e)])
    elif tomllib is None:
        report.skip("serve.toml checks", "this Python has no tomllib (3.11+)")

    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    min_replicas = min([d["spec"].get("replicas", 1) for d in deployments] +
                       [h["spec"].get("minReplicas", 1) for h in hpas] or [1])

    if config is not None:
        # Shutdown: the grace period covers the drain delay plus shutdown_grace_ms.
        # The drain delay is a [server] drain*_ms key when serve.toml sets one,
        # else taken as 15 s (at most what a default is expected to be).
        server = config.get("server", {})
        grace_ms = server.get("shutdown_grace_ms", 10000)
        drain_ms = next((v for k, v in server.items() if k.startswith("drain") and k.endswith("_ms")), 15000)
        problems = []
        for obj in deployments:
            spec = pod_spec(obj)
            period = spec.get("terminationGracePeriodSeconds", 30)
            if period * 1000 <= grace_ms + drain_ms:
                problems.append(f"{obj['metadata']['name']}: terminationGracePeriodSeconds {period} is not "
                                f"above drain delay ({drain_ms} ms) + shutdown_grace_ms ({grace_ms} ms)")
        report.check(f"terminationGracePeriodSeconds above drain delay ({drain_ms} ms) + shutdown_grace_ms "
                     f"({grace_ms} ms)", problems)

        # Store: replicas share PostgreSQL; no password in the ConfigMap.
        location = config.get("store", {}).get("location", "memory")
        problems = []
        if min_replicas > 1 and not re.match(r"^postgres(ql)?://", location):
            problems.append(f"{min_replicas} replicas but [store] location is {location!r}, not postgres://")
        if re.match(r"^postgres(ql)?://[^/@]*:[^/@]*@", location):
            problems.append("[store] location has a password: keep it in the Secret (PGPASSWORD)")
        report.check("store: PostgreSQL shared by the replicas, no password in the ConfigMap", problems)

        # Every key_env of a tenant is set in the container's environment.
        problems = []
        needed = {v for t in config.get("tenants", {}).values() for v in t.get("key_env", [])}
        for obj in deployments:
            for c in pod_spec(obj)["containers"]:
                names = {e["name"] for e in c.get("env", [])}
                problems += [f"{c['name']}: {v} (key_env) is not set" for v in sorted(needed - names)]
        report.check(f"tenant keys: every key_env ({len(needed)}) set from the environment", problems)

    # Every secretKeyRef names a Secret and key of the manifests.
    problems = []
    secrets = {s["metadata"]["name"]: s for s in by_kind.get("Secret", [])}
    for obj in deployments:
        for c in pod_spec(obj)["containers"]:
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if not ref:
                    continue
                secret = secrets.get(ref["name"])
                if secret is None:
                    problems.append(f"{e['name']}: Secret {ref['name']} is not in the manifests")
                elif ref["key"] not in {**secret.get("data", {}), **secret.get("stringData", {})}:
                    problems.append(f"{e['name']}: Secret {ref['name']} has no key {ref['key']}")
            if any(e.get("value") and re.search(r"(?i)(password|secret|token|key)$", e["name"])
                   for e in c.get("env", [])):
                problems.append(f"{c['name']}: a secret-looking variable has a literal value")
    report.check("secrets: every secretKeyRef resolves, no literal secret values", problems)

    # Replicas spread across nodes.
    problems = []
    for obj in deployments:
        spec = pod_spec(obj)
        spread = any(t.get("topologyKey") == "kubernetes.io/hostname"
                     and selects(t.get("labelSelector", {}), pod_labels(obj))
                     for t in spec.get("topologySpreadConstraints", []))
        anti = (spec.get("affinity") or {}).get("podAntiAffinity")
        if not (spread or anti):
            problems.append(f"{obj['metadata']['name']}: no topologySpreadConstraints on kubernetes.io/hostname "
                            "nor podAntiAffinity")
    report.check("replicas spread across nodes", problems)

    # The Service reaches the pods on 8080.
    problems = []
    for svc in by_kind.get("Service", []):
        targets = [d for d in deployments if selects({"matchLabels": svc["spec"].get("selector", {})},
                                                      pod_labels(d))]
        if not targets:
            problems.append(f"Service {svc['metadata']['name']} selects no Deployment's pods")
        for port in svc["spec"].get("ports", []):
            for d in targets:
                ports = {p.get("name"): p["containerPort"] for c in pod_spec(d)["containers"]
                         for p in c.get("ports", [])}
                target = port.get("targetPort", port["port"])
                if ports.get(target, target) != 8080:
                    problems.append(f"Service port {port['port']} targets {target}, not 8080")
    report.check("Service: selects the pods, targets port 8080", problems)

    # PodDisruptionBudget.
    problems = []
    pdbs = by_kind.get("PodDisruptionBudget", [])
    for d in deployments:
        covering = [p for p in pdbs if selects(p["spec"].get("selector", {}), pod_labels(d))]
        if not covering:
            problems.append(f"no PodDisruptionBudget selects {d['metadata']['name']}'s pods")
        for p in covering:
            min_available = p["spec"].get("minAvailable")
            if isinstance(min_available, int) and min_available >= min_replicas:
                problems.append(f"{p['metadata']['name']}: minAvailable {min_available} blocks every eviction "
                                f"at {min_replicas} replicas")
            if p["spec"].get("maxUnavailable") == 0:
                problems.append(f"{p['metadata']['name']}: maxUnavailable 0 blocks every eviction")
    report.check("PodDisruptionBudget covers the pods and allows drains", problems)

    # NetworkPolicy.
    problems = []
    netpols = [n for n in by_kind.get("NetworkPolicy", [])
               if any(selects(n["spec"].get("podSelector", {}), pod_labels(d)) for d in deployments)]
    if not netpols:
        problems.append("no NetworkPolicy selects the pods")
    for n in netpols:
        types = set(n["spec"].get("policyTypes", []))
        if types != {"Ingress", "Egress"}:
            problems.append(f"{n['metadata']['name']}: policyTypes {sorted(types)}, not Ingress and Egress")
        for rule in n["spec"].get("ingress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            if not ports or any(p not in (8080, "http") for p in ports):
                problems.append(f"{n['metadata']['name']}: an ingress rule admits ports {ports or 'all'}")
            if not rule.get("from"):
                problems.append(f"{n['metadata']['name']}: an ingress rule admits every source")
        for rule in n["spec"].get("egress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            if not ports or any(p not in (53, 5432, 443) for p in ports):
                problems.append(f"{n['metadata']['name']}: an egress rule lets out ports {ports or 'all'}")
    report.check("NetworkPolicy: ingress 8080 only from selected peers, egress only 53, 5432, 443", problems)

    # HorizontalPodAutoscaler.
    problems = []
    names = {d["metadata"]["name"] for d in deployments}
    metric = None
    for h in hpas:
        ref = h["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") not in names:
            problems.append(f"{h['metadata']['name']}: scales {ref.get('kind')}/{ref.get('name')}, "
                            "not a Deployment of the manifests")
        if h["spec"].get("minReplicas", 1) < 2:
            problems.append(f"{h['metadata']['name']}: minReplicas below 2")
        if h["spec"]["maxReplicas"] < h["spec"].get("minReplicas", 1):
            problems.append(f"{h['metadata']['name']}: maxReplicas below minReplicas")
        for m in h["spec"].get("metrics", []):
            if m["type"] == "Pods":
                metric = m["pods"]["metric"]["name"]
    if not hpas:
        problems.append("no HorizontalPodAutoscaler")
    report.check("HorizontalPodAutoscaler scales the Deployment, at least 2 replicas", problems)

    if adapter_rules:
        problems = []
        rules = []
        for cm in load(adapter_rules):
            for text in (cm.get("data") or {}).values():
                rules += (yaml.safe_load(text) or {}).get("rules", [])
        served = set()
        for rule in rules:
            name = rule.get("name", {})
            series = re.match(r"\s*([A-Za-z_:][A-Za-z0-9_:]*)", rule.get("seriesQuery", ""))
            if series:
                served.add(re.sub(name.get("matches", "^$"), name.get("as", series.group(1)), series.group(1))
                           if name.get("matches") else series.group(1))
        if metric is None:
            problems.append("the HPA has no Pods metric")
        elif metric not in served:
            problems.append(f"the HPA's metric {metric} is not one the adapter rules serve ({sorted(served)})")
        report.check(f"prometheus-adapter rules serve the HPA's Pods metric ({metric})", problems)
    return report


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def serve(label, path, isobox, cache_dir, metrics, require_probes):
    report = Report(label)
    files = serve_files(load(path))
    if not files or "serve.toml" not in files:
        report.check("isobox serve loads the ConfigMap's serve.toml", ["no serve.toml in the rendered ConfigMap"])
        return report
    work = tempfile.mkdtemp(prefix="isobox-k8s-")
    proc = None
    try:
        for name, text in files.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        # No PostgreSQL here: the same config with the store in memory.
        text = files["serve.toml"]
        text, swapped = re.subn(r'(?m)^location\s*=\s*"postgres[^"]*"', 'location = "memory"', text)
        with open(os.path.join(work, "serve.toml"), "w") as f:
            f.write(text)
        env = dict(os.environ, XDG_CACHE_HOME=cache_dir, RUST_LOG="warn", PGPASSWORD="unused")
        for variable in re.findall(r'(?m)^key_env\s*=\s*\[([^\]]*)\]', text):
            for name in re.findall(r'"([^"]+)"', variable):
                env[name] = f"validate-{name.lower()}"
        stderr = open(os.path.join(work, "stderr"), "w+")
        start = time.monotonic()
        proc = subprocess.Popen([isobox, "serve", "--listen", "127.0.0.1:0", "--config",
                                 os.path.join(work, "serve.toml")],
                                stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        address = None
        while address is None and time.monotonic() - start < 180:
            if not selector.select(timeout=1):
                if proc.poll() is not None:
                    break
                continue
            line = proc.stdout.readline()
            if not line:
                break
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                address = found.group(1)
        if address is None:
            proc.kill()
            proc.wait()
            stderr.seek(0)
            report.check("isobox serve loads the ConfigMap's serve.toml (store: memory)",
                         [f"no listening address (exit {proc.returncode}): {stderr.read().strip()[-800:]}"])
            return report
        report.check(f"isobox serve loads the ConfigMap's serve.toml (store: memory; started in "
                     f"{time.monotonic() - start:.1f} s)", [] if swapped else ["no postgres location to swap"])
        for probe in ("/livez", "/readyz"):
            status, _ = http_get(address + probe)
            if status == 404 and not require_probes:
                report.skip(f"GET {probe}", "404: this isobox build does not serve it yet "
                            "(ISOBOX_K8S_REQUIRE_PROBES=1 makes this a failure)")
            else:
                report.check(f"GET {probe} answers 200", [] if status == 200 else [f"status {status}"])
        status, body = http_get(address + "/metrics")
        exported = set(re.findall(r"(?m)^# TYPE (\S+) ", body))
        report.check("GET /metrics answers 200", [] if status == 200 else [f"status {status}"])
        for metric in metrics:
            report.check(f"/metrics exports {metric} (the autoscaler's metric)",
                         [] if metric in exported else [f"not among {sorted(exported)}"])
        return report
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main(argv):
    if len(argv) >= 3 and argv[0] == "policy":
        adapter = argv[argv.index("--adapter-rules") + 1] if "--adapter-rules" in argv else None
        report = policy(argv[1], argv[2], adapter)
    elif len(argv) >= 5 and argv[0] == "serve":
        # The Pods metrics of every HPA in the given renders.
        metrics = sorted({m["pods"]["metric"]["name"]
                          for f in [argv[2]] + argv[5:] for o in load(f)
                          if o["kind"] == "HorizontalPodAutoscaler"
                          for m in o["spec"].get("metrics", []) if m["type"] == "Pods"})
        require = os.environ.get("ISOBOX_K8S_REQUIRE_PROBES", "1") == "1"
        report = serve(argv[1], argv[2], argv[3], argv[4], metrics, require)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
