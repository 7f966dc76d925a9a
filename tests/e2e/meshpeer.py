#!/usr/bin/env python3
"""A service-mesh pod in miniature, for test-proxymesh.sh.

  app PORT              echo server on 127.0.0.1:PORT only (what a meshed app does)
  sidecar PORT APPPORT  relay listening on :PORT that connects each client to
                        127.0.0.1:APPPORT, like istio-proxy's inbound listener 15006
"""
import socket
import sys
import threading
import time


def echo(conn):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)


def pump(a, b):
    try:
        while True:
            data = a.recv(4096)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def relay(client, app_port):
    try:
        # A SYN dropped at NFQUEUE is retried by the kernel: give up like a proxy would.
        up = socket.create_connection(("127.0.0.1", app_port), timeout=1.0)
        up.settimeout(None)
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(up, client), daemon=True).start()
    pump(client, up)


def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def main():
    cmd = sys.argv[1]
    if cmd == "app":
        s = listen("127.0.0.1", int(sys.argv[2]))
        while True:
            conn, _ = s.accept()
            threading.Thread(target=echo, args=(conn,), daemon=True).start()
    elif cmd == "sidecar":
        s = listen("0.0.0.0", int(sys.argv[2]))
        app_port = int(sys.argv[3])
        while True:
            conn, _ = s.accept()
            threading.Thread(target=relay, args=(conn, app_port), daemon=True).start()
    else:
        sys.exit("usage: meshpeer.py app PORT | sidecar PORT APPPORT")


if __name__ == "__main__":
    main()
