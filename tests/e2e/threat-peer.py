#!/usr/bin/env python3
"""Attack traffic for tests/e2e/test-threats.sh (stdlib only, root for synflood).

  synflood SRC DST PORT SECONDS   raw SYNs from SRC (as fast as python goes), then exit
  http HOST PORT TARGET           GET TARGET; prints answer|reset|timeout
  dns HOST TYPE                   one UDP query for example.com of TYPE (252 = AXFR)
  tls10 HOST PORT                 a TLS 1.0-only ClientHello; prints answer|reset|timeout
"""
import os
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def synflood(src, dst, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    end = time.time() + float(secs)
    n = 0
    while time.time() < end:
        for _ in range(200):
            sport = 1024 + (n % 60000)
            tcp = struct.pack("!HHIIBBHHH", sport, int(port), n, 0, 0x50, 0x02, 64240, 0, 0)
            c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
            tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
            try:
                s.sendto(tcp, (dst, 0))
            except OSError:
                pass
            n += 1
    print(n)


def talk(host, port, data):
    s = socket.create_connection((host, int(port)), timeout=2)
    try:
        s.sendall(data)
        r = s.recv(4096)
        return "answer" if r else "closed"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    finally:
        s.close()


def http(host, port, target):
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (target, host))
    print(talk(host, port, req.encode()))


def dns(host, qtype):
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += b"\x07example\x03com\x00" + struct.pack("!HH", int(qtype), 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(q, (host, 53))
    try:
        s.recv(512)
        print("answer")
    except socket.timeout:
        print("timeout")


def tls10(host, port):
    body = struct.pack("!H", 0x0301) + os.urandom(32) + b"\x00"
    body += b"\x00\x04\x00\x2f\x00\x35" + b"\x01\x00" + b"\x00\x00"
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    rec = b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
    print(talk(host, port, rec))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"synflood": synflood, "http": http, "dns": dns, "tls10": tls10}[cmd](*args)
