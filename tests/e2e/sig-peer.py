#!/usr/bin/env python3
"""Client for tests/e2e/test-sig.sh (stdlib only).

  post HOST PORT BODY [CHUNK [DELAY]]   POST BODY to /upload, the request written CHUNK
                                        bytes at a time (TCP_NODELAY) with DELAY s between
  get HOST PORT TARGET                  GET TARGET
  serve PORT                            HTTP server: reads each whole request (headers and
                                        Content-Length body), answers 200
The clients print answer (the server replied), reset (RST), closed or timeout.
"""
import socket
import sys
import threading
import time


def handle(c):
    c.settimeout(10)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        head, body = buf.split(b"\r\n\r\n", 1)
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        while len(body) < n:
            d = c.recv(4096)
            if not d:
                return
            body += d
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    except OSError:
        pass
    finally:
        c.close()


def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def send(host, port, data, chunk, delay):
    s = socket.create_connection((host, int(port)), timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for i in range(0, len(data), chunk):
            s.sendall(data[i:i + chunk])
            if delay:
                time.sleep(delay)
        r = s.recv(4096)
        return "answer" if r else "closed"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"
    finally:
        s.close()


def main():
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
        return
    cmd, host, port = sys.argv[1:4]
    if cmd == "post":
        body = sys.argv[4].encode()
        chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 20
        delay = float(sys.argv[6]) if len(sys.argv) > 6 else 0
        req = ("POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (host, len(body))).encode() + body
        print(send(host, port, req, chunk, delay))
    elif cmd == "get":
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (sys.argv[4], host)).encode()
        print(send(host, port, req, 1 << 20, 0))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
