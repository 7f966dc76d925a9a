#!/usr/bin/env python3
"""Hostile control-socket clients for test-ctl-hostile.sh (stdlib only).

  idle SOCK SECONDS           connect, send nothing, hold the connection; print
                              "closed S" once the daemon closes it after S seconds, or "open"
  partial SOCK SECONDS        the same, having sent half a request line
  noread SOCK N               pipeline N status requests and never read the answers
  malformed SOCK              send each malformed request on its own connection; print
                              "ok NAME" when it was answered with {"ok": false, "error": ...}
                              and "FAIL NAME: what came back" otherwise
"""
import json
import socket
import sys
import time

# Commands that take arguments: with arguments of the wrong type, each must be refused.
ARG_COMMANDS = ["workload.add", "workload.rm", "mode", "group.add", "group.rm", "rule.add",
                "rule.rm", "rule.promote", "explain", "policy.import", "capture.start",
                "capture.read", "log"]
GARBAGE = {"name": {"x": 1}, "netns": [1, 2], "pid": "many", "docker": 7, "iface": None,
           "group": 3.5, "groups": "g", "mode": [], "all": "yes", "from": 1, "to": [],
           "port": -1, "ports": {}, "app": 9, "apps": "http", "action": False, "id": "x",
           "cidr": 5, "cidrs": 5, "fqdn": 1, "fqdns": 2, "file": 5, "path": [],
           "data": 12, "yaml": 13, "count": "lots", "seconds": -5, "n": "lots",
           "violations": "maybe", "threats": 4, "learned": "no", "follow": 1,
           "offset": "far", "capture": {}, "text": 3}

CASES = [
    ("not json", b"{bad"),
    ("array", b"[1,2]"),
    ("string", b'"status"'),
    ("number", b"42"),
    ("null", b"null"),
    ("empty object", b"{}"),
    ("empty line", b""),
    ("cmd not a string", b'{"cmd":1}'),
    ("cmd null", b'{"cmd":null}'),
    ("unknown cmd", b'{"cmd":"frobnicate"}'),
    ("duplicate keys", b'{"cmd":"status","cmd":"status"}'),
    ("NUL byte", b'{"cmd":"sta\x00tus"}'),
    ("invalid UTF-8", b'{"cmd":"\xff\xfe"}'),
    ("deep nesting", b"[" * 30000 + b"]" * 30000),
    ("long cmd", b'{"cmd":"' + b"a" * 60000 + b'"}'),
    ("trailing garbage", b'{"cmd":"status"} x'),
] + [(f"{c} with wrong types", json.dumps(dict(GARBAGE, cmd=c)).encode())
     for c in ARG_COMMANDS] + [(f"{c} without arguments", json.dumps({"cmd": c}).encode())
                               for c in ARG_COMMANDS if c not in ("log",)]


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def ask(path, line):
    s = connect(path)
    s.sendall(line + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf


def malformed(path):
    bad = 0
    for name, line in CASES:
        try:
            raw = ask(path, line)
            r = json.loads(raw)
            good = isinstance(r, dict) and r.get("ok") is False and isinstance(
                r.get("error"), str) and r["error"]
        except (OSError, ValueError) as e:
            raw, good = str(e).encode(), False
        print(f"{'ok' if good else 'FAIL'} {name}" + ("" if good else f": {raw[:200]!r}"))
        bad += not good
    sys.exit(1 if bad else 0)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd in ("idle", "partial"):
        s = connect(path)
        start = time.monotonic()
        if cmd == "partial":
            s.sendall(b'{"cmd":"sta')
        s.settimeout(float(sys.argv[3]))
        try:
            while s.recv(4096):
                pass
            print(f"closed {time.monotonic() - start:.1f}", flush=True)
        except socket.timeout:
            print("open", flush=True)
        except OSError:
            print(f"closed {time.monotonic() - start:.1f}", flush=True)
    elif cmd == "noread":
        s = connect(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        try:
            for _ in range(int(sys.argv[3])):
                s.sendall(b'{"cmd":"status"}\n')
        except OSError:
            pass  # the daemon gave up on us: what it should do
        time.sleep(5)
    elif cmd == "malformed":
        malformed(path)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
