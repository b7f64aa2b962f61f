#!/usr/bin/python3
# The lab's emulated BMCs: one per lab host on its own address of the lab bridge, speaking IPMI 2.0 (RMCP+,
# "lanplus", UDP 623; pyghmi's BMC class) and a minimal Redfish (HTTPS 443: the service root, the Systems
# collection, one system with its PowerState and ComputerSystem.Reset), so the real fence_ipmilan and
# fence_redfish (and Pacemaker's STONITH) drive them.
# Powering off kills the lab host (`hosts kill`: its PID 1, so every process, guest and mount of it), or
# for a fake compute stops its nova-compute process; powering on boots it again. The power state is read
# from the processes themselves, never from a flag of our own: "off" means nothing of the host runs.
#
# Reads one line per BMC on stdin: NAME KIND ADDRESS USER PASSWORD (KIND: host | fake-compute); the
# password never reaches a command line. Runs in the foreground until SIGTERM; `bmc up` starts it.
#   bmc.py LAB_ROOT LAB_DIR   (LAB_DIR/bmc/tls.{crt,key}: the Redfish endpoints' certificate)
import base64
import hmac
import http.server
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time

import pyghmi.ipmi.bmc as bmc

LAB_ROOT, LAB_DIR = sys.argv[1], sys.argv[2]
STATE = os.path.join(LAB_DIR, "bmc")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d}] {msg}", flush=True)


def alive_since(pidfile, with_start):
    """The process recorded in pidfile is still running (and, for hosts, is the one that was recorded)."""
    try:
        fields = open(pidfile).read().split()
        pid = int(fields[0])
        stat = open(f"/proc/{pid}/stat").read()
    except (OSError, ValueError, IndexError):
        return False
    if not with_start:
        return True
    # Field 22 (starttime), counted after the command name's closing parenthesis.
    return len(fields) > 1 and stat.rsplit(")", 1)[1].split()[19] == fields[1]


class LabBmc(bmc.Bmc):
    def __init__(self, name, kind, address, user, password):
        super().__init__({user: password}, port=623, address=address)
        self.name, self.kind, self.address, self.user, self.password = name, kind, address, user, password
        self.lock = threading.Lock()

    def fault(self):
        try:
            return open(os.path.join(STATE, f"{self.name}.fault")).read().strip()
        except OSError:
            return ""

    def running(self):
        if self.kind == "host":
            return alive_since(os.path.join(LAB_DIR, "hosts", self.name, "pid"), True)
        return alive_since(os.path.join(LAB_DIR, "openstack", "pids", f"nova-compute@{self.name}.pid"), False)

    def command(self, action):
        hosts = os.path.join(LAB_ROOT, "hosts", "hosts")
        cp = os.path.join(LAB_ROOT, "openstack", "controlplane")
        if self.kind == "host":
            return [hosts, "kill" if action == "off" else "start", self.name]
        return [cp, "stop" if action == "off" else "start", f"nova-compute@{self.name}"]

    def act(self, action):
        """Runs a power action in the background, as a real BMC answers at once and acts meanwhile."""
        def work():
            with self.lock:
                on = self.running()
                if (action == "off" and not on) or (action == "on" and on):
                    log(f"{self.name}: power {action}: already {action}")
                    return
                t0 = time.monotonic()
                # A power cut, not a shutdown: no grace period for the fake compute's process either.
                env = dict(os.environ, OS_STOP_WAIT="0")
                r = subprocess.run(self.command(action), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
                tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or [""]
                log(f"{self.name}: power {action}: exit {r.returncode} in {time.monotonic() - t0:.2f} s {tail[0]}")

        threading.Thread(target=work, daemon=True).start()

    def get_power_state(self):
        return "on" if self.running() else "off"

    def power_off(self):
        if self.fault() == "ignore-off":
            log(f"{self.name}: power off requested: ignored (fault ignore-off)")
            return 0
        log(f"{self.name}: power off requested")
        self.act("off")
        return 0

    def power_on(self):
        log(f"{self.name}: power on requested")
        self.act("on")
        return 0

    def power_cycle(self):
        log(f"{self.name}: power cycle requested")
        self.power_off()
        threading.Thread(target=lambda: (time.sleep(1), self.act("on")), daemon=True).start()
        return 0

    power_reset = power_cycle
    # A soft shutdown would wait for the guest OS; the lab's hosts have none worth waiting for.
    power_shutdown = power_off

    def cold_reset(self):
        return 0

    def is_active(self):
        return self.running()


SYSTEM = "/redfish/v1/Systems/1"
RESET = SYSTEM + "/Actions/ComputerSystem.Reset"


class Redfish(http.server.BaseHTTPRequestHandler):
    """The Redfish resources fence_redfish reads and posts, for the BMC `self.server.bmc`."""

    def log_message(self, *_):
        pass

    def reply(self, code, body=None):
        data = json.dumps(body or {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        b = self.server.bmc
        want = base64.b64encode(f"{b.user}:{b.password}".encode()).decode()
        if hmac.compare_digest(self.headers.get("Authorization", ""), f"Basic {want}"):
            return True
        self.reply(401, {"error": "unauthorized"})
        return False

    def do_GET(self):
        if not self.authorized():
            return
        b = self.server.bmc
        docs = {
            "/redfish/v1": {"Systems": {"@odata.id": "/redfish/v1/Systems"}},
            "/redfish/v1/Systems": {"Members": [{"@odata.id": SYSTEM}]},
            SYSTEM: {
                "Id": "1",
                "Name": b.name,
                "PowerState": "On" if b.running() else "Off",
                "Actions": {"#ComputerSystem.Reset": {"target": RESET}},
            },
        }
        path = self.path.rstrip("/") or "/"
        self.reply(200, docs[path]) if path in docs else self.reply(404, {"error": "not found"})

    def do_POST(self):
        if not self.authorized():
            return
        if self.path != RESET:
            return self.reply(404, {"error": "not found"})
        try:
            kind = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))).get("ResetType")
        except ValueError:
            return self.reply(400, {"error": "expected a JSON body"})
        b = self.server.bmc
        actions = {"On": b.power_on, "ForceOff": b.power_off, "GracefulShutdown": b.power_shutdown, "ForceRestart": b.power_cycle}
        if kind not in actions:
            return self.reply(400, {"error": f"unsupported ResetType {kind}"})
        actions[kind]()
        self.reply(204)


def serve_redfish(b, context):
    server = http.server.ThreadingHTTPServer((b.address, 443), Redfish)
    server.bmc = b
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(STATE, "tls.crt"), os.path.join(STATE, "tls.key"))
    bmcs = []
    for line in sys.stdin:
        fields = line.split()
        if len(fields) != 5:
            continue
        name, kind, address, user, password = fields
        b = LabBmc(name, kind, address, user, password)
        serve_redfish(b, context)
        bmcs.append(b)
        log(f"{name}: BMC ({kind}) on {address}: IPMI udp/623, Redfish https/443")
    if not bmcs:
        sys.exit("bmc: no BMC defined on stdin")
    # pyghmi's loop blocks in select(): exit at once on TERM instead of after its timeout.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    bmc.Bmc.listen(timeout=5)


main()
