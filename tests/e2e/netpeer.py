#!/usr/bin/env python3
"""Tiny traffic peers for the policy e2e tests (stdlib only).

  serve SPEC...            SPEC is tcp:PORT or udp:PORT; echo servers on :: (v4 and v6)
  tcp HOST PORT [TIMEOUT]  connect, send a line, expect it back; exit 0 on success
  udp HOST PORT [TIMEOUT]  send a datagram, expect it back
  long HOST PORT FILE [T]  keep a connection: a line every 200 ms; FILE holds the number of
                           echoes so far, and "closed N" once the connection is gone (or an
                           echo takes longer than T seconds, default 2)
"""
import socket
import sys
import threading
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve_tcp_conn(conn):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            try:
                conn.sendall(data)
            except OSError:
                return


def serve_tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn,), daemon=True).start()


def serve_udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(4096)
        s.sendto(data, peer)


def serve(specs):
    for spec in specs:
        proto, port = spec.split(":")
        fn = serve_tcp if proto == "tcp" else serve_udp
        threading.Thread(target=fn, args=(int(port),), daemon=True).start()
    while True:
        time.sleep(3600)


def tcp(host, port, timeout=1.5):
    with socket.create_connection((host, int(port)), timeout=float(timeout)) as s:
        s.sendall(b"hello\n")
        got = b""
        while not got.endswith(b"\n"):
            chunk = s.recv(100)
            if not chunk:
                break
            got += chunk
        return got == b"hello\n"


def udp(host, port, timeout=1.5):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(float(timeout))
    s.sendto(b"hello", (host, int(port)))
    try:
        data, _ = s.recvfrom(100)
    except socket.timeout:
        return False
    return data == b"hello"


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    import os
    os.replace(path + ".tmp", path)


def long(host, port, path, timeout="2"):
    n = 0
    try:
        s = socket.create_connection((host, int(port)), timeout=2)
        s.settimeout(float(timeout))
        while True:
            s.sendall(b"tick\n")
            data = s.recv(100)
            if not data:
                break
            n += 1
            write(path, str(n))
            time.sleep(0.2)
    except OSError:
        pass
    write(path, "closed %d" % n)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(args)
    elif cmd == "long":
        long(*args)
    else:
        try:
            ok = (tcp if cmd == "tcp" else udp)(*args)
        except OSError:
            ok = False
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
