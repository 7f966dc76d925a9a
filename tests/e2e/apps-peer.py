#!/usr/bin/env python3
"""Application-level peers for tests/e2e/test-apps.sh (stdlib only).

  http HOST PORT             GET / with http.client; exit 0 on a 200 answer
  raw HOST PORT              stream 12 KiB of non-HTTP bytes in 1 KiB writes, then read;
                             prints "reset" when the connection is reset, else "open"
  get HOST PORT              send one HTTP request by hand, then read; prints "reset",
                             "answer" or "eof"
"""
import http.client
import socket
import sys
import time


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "http":
        c = http.client.HTTPConnection(host, port, timeout=3)
        c.request("GET", "/")
        sys.exit(0 if c.getresponse().status == 200 else 1)
    s = socket.create_connection((host, port), timeout=3)
    try:
        if mode == "raw":
            for i in range(12):
                s.sendall(bytes((i * 7 + j) % 251 for j in range(1024)).replace(b"\n", b"."))
                time.sleep(0.05)
        else:
            s.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nUser-Agent: apps-peer\r\n\r\n")
        s.settimeout(2)
        data = s.recv(4096)
        print("answer" if data else "eof")
    except ConnectionResetError:
        print("reset")
    except (socket.timeout, TimeoutError):
        print("open")
    except BrokenPipeError:
        print("reset")


main()
