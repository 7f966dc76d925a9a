#!/usr/bin/python3
"""Hostile traffic for the e2e tests (Debian python3-scapy; run with /usr/bin/python3).

  cases                                   the malformed cases, one name a line
  run BULKHEAD WL PEER_MAC SRC4 DST4 SRC6 DST6 CASE...
        from this netns's eth0, send each CASE to the peer and print one line per case:
        "NAME decode=N policy=N truncated=N session_full=N status=ok|down", the drop
        counters of workload WL (our own port) that moved while the case ran
  seen PCAP SRC4 SRC6                     the case markers of frames from SRC4/SRC6 in PCAP
  synflood DST_MAC SRC DST DPORT SECONDS PPS   TCP SYNs from ever new source ports
  udpflood DST_MAC SRC DST DPORT SECONDS PPS   UDP datagrams from ever new source ports

Every malformed frame carries a marker so the peer's capture tells which cases arrived:
the IPv4 identification or the IPv6 flow label is MARK_BASE + the case's index (for a
frame too short to hold one, nothing can be told, and nothing should arrive).
Frames are built as bytes and sent on a raw AF_PACKET socket, so the kernel adds nothing.
"""
import json
import socket
import struct
import subprocess
import sys
import time

from scapy.all import (IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPOption_NOP, IPOption_RR,
                       get_if_hwaddr, raw)

MARK_BASE = 0x4200
PORT = 7000        # the probe port: allowed by the test's rules (tcp and udp)
BLOCKED = 7001     # no rule: blocked in protect mode
REASONS = ("decode", "policy", "truncated", "session_full", "no_port", "tx", "threat")
SPORT = [40000]    # source port of the current case: each case is its own flow


class Ctx:
    def __init__(self, mac, peer, s4, d4, s6, d6):
        self.mac, self.peer = mac, peer
        self.s4, self.d4, self.s6, self.d6 = s4, d4, s6, d6

    def eth4(self):
        return Ether(src=self.mac, dst=self.peer, type=0x0800)

    def eth6(self):
        return Ether(src=self.mac, dst=self.peer, type=0x86dd)

    def ip4(self, m, **kw):
        return IP(src=self.s4, dst=self.d4, id=m, **kw)

    def ip6(self, m, **kw):
        return IPv6(src=self.s6, dst=self.d6, fl=m, **kw)


def syn(dport=PORT, **kw):
    return TCP(sport=SPORT[0], dport=dport, flags="S", seq=1000, **kw)


def b(pkt):
    return raw(pkt)


def cut(pkt, n):
    """The first n bytes of a frame."""
    return raw(pkt)[:n]


def patch(frame, off, data):
    return frame[:off] + data + frame[off + len(data):]


# Each case: (name, function(ctx, marker) -> list of frames).  Offsets: Ethernet 14,
# IPv4 base header 20, IPv6 40.
def c_eth_trunc(c, m):
    return [bytes.fromhex(c.peer.replace(":", ""))[:6] + b"\x00\x01\x02\x03"]


def c_eth_only(c, m):
    return [cut(c.eth4() / c.ip4(m) / syn(), 14)]


def c_ipv4_trunc(c, m):
    return [cut(c.eth4() / c.ip4(m) / syn(), 14 + 12)]


def c_ipv4_version(c, m):
    f = b(c.eth4() / c.ip4(m) / syn())
    return [patch(f, 14, bytes([0x55]))]


def c_ipv4_ihl_lt5(c, m):
    f = b(c.eth4() / c.ip4(m) / syn())
    return [patch(f, 14, bytes([0x44]))]


def c_ipv4_ihl_gt_len(c, m):
    # IHL 15 (60 bytes) on a 40-byte datagram
    return [b(c.eth4() / c.ip4(m, ihl=15) / syn())[:14 + 40]]


def c_ipv4_totlen_gt_frame(c, m):
    return [b(c.eth4() / c.ip4(m, len=1000) / syn())]


def c_ipv4_totlen_lt_hdr(c, m):
    return [b(c.eth4() / c.ip4(m, len=10) / syn())]


def c_ipv4_options(c, m):
    return [b(c.eth4() / c.ip4(m, options=[IPOption_NOP(), IPOption_RR()]) / syn())]


def c_ipv4_bad_csum(c, m):
    return [b(c.eth4() / c.ip4(m, chksum=0x1234) / syn())]


def c_tcp_trunc(c, m):
    return [cut(c.eth4() / c.ip4(m, len=20 + 10) / syn(), 14 + 20 + 10)]


def c_tcp_doff_lt5(c, m):
    return [b(c.eth4() / c.ip4(m) / syn(dataofs=4))]


def c_tcp_doff_gt_len(c, m):
    return [b(c.eth4() / c.ip4(m) / syn(dataofs=15))]


def c_tcp_opt_garbage(c, m):
    # MSS with length 0, unknown kind 0xfe claiming 255 bytes, SACK-permitted with length 9
    opts = bytes([2, 0, 0xfe, 0xff, 4, 9, 1, 1, 0xaa, 0xbb, 0xcc, 0xdd])
    t = b(syn(dataofs=8))[:20] + opts  # TCP checksum left stale: not what is tested here
    return [b(c.eth4() / c.ip4(m, proto=6, len=20 + len(t))) + t]


def c_tcp_bad_csum(c, m):
    return [b(c.eth4() / c.ip4(m) / syn(chksum=0xdead))]


def c_tcp_blocked(c, m):
    return [b(c.eth4() / c.ip4(m) / syn(dport=BLOCKED))]


def c_udp_trunc(c, m):
    return [cut(c.eth4() / c.ip4(m, len=24) / UDP(sport=40000, dport=PORT), 14 + 24)]


def c_udp_len_lt8(c, m):
    return [b(c.eth4() / c.ip4(m) / UDP(sport=40000, dport=PORT, len=4) / b"abcd")]


def c_udp_len_gt(c, m):
    return [b(c.eth4() / c.ip4(m) / UDP(sport=40000, dport=PORT, len=500) / b"abcd")]


def c_udp_bad_csum(c, m):
    return [b(c.eth4() / c.ip4(m) / UDP(sport=40001, dport=PORT, chksum=0xbeef) / b"x")]


def frags4(c, m, dport, size=3000, chunk=1480):
    """A UDP datagram of size payload bytes, cut into IPv4 fragments by hand."""
    dgram = b(UDP(sport=40002, dport=dport) / (b"F" * size))
    out = []
    for off in range(0, len(dgram), chunk):
        part = dgram[off:off + chunk]
        more = off + chunk < len(dgram)
        out.append(b(c.eth4() / c.ip4(m, proto=17, flags="MF" if more else 0,
                                      frag=off // 8) / part))
    return out


def c_frag4_real(c, m):
    return frags4(c, m, PORT)


def c_frag4_blocked(c, m):
    return frags4(c, m, BLOCKED)


def c_frag4_zero_len(c, m):
    # a zero-length fragment between two real ones
    d = b(UDP(sport=40003, dport=PORT) / (b"Z" * 40))
    return [b(c.eth4() / c.ip4(m, proto=17, flags="MF", frag=0) / d[:16]),
            b(c.eth4() / c.ip4(m, proto=17, flags="MF", frag=2)),
            b(c.eth4() / c.ip4(m, proto=17, frag=2) / d[16:])]


def c_frag4_overlap(c, m):
    # the second fragment overlaps the first and would rewrite the destination port
    d_ok = b(UDP(sport=40004, dport=PORT, len=8 + 32) / (b"A" * 32))
    d_bad = b(UDP(sport=40004, dport=BLOCKED, len=8 + 32) / (b"B" * 32))
    return [b(c.eth4() / c.ip4(m, proto=17, flags="MF", frag=0) / d_ok[:16]),
            b(c.eth4() / c.ip4(m, proto=17, flags="MF", frag=1) / d_bad[:16]),
            b(c.eth4() / c.ip4(m, proto=17, frag=3) / d_ok[24:])]


def c_frag4_pod(c, m):
    # ping of death: contiguous fragments whose last one ends past 65535 bytes
    dgram = b(UDP(sport=40005, dport=PORT, len=0) / (b"P" * 66000))
    out, chunk, off = [], 1480, 0
    while off + chunk <= 65528:
        out.append(b(c.eth4() / c.ip4(m, proto=17, flags="MF", frag=off // 8) /
                     dgram[off:off + chunk]))
        off += chunk
    out.append(b(c.eth4() / c.ip4(m, proto=17, frag=off // 8) / dgram[off:off + 600]))
    return out


def c_ipv6_trunc(c, m):
    return [cut(c.eth6() / c.ip6(m) / syn(), 14 + 30)]


def c_ipv6_version(c, m):
    f = b(c.eth6() / c.ip6(m) / syn())
    return [patch(f, 14, bytes([0x40 | (f[14] & 0x0f)]))]


def c_ipv6_plen_gt(c, m):
    return [b(c.eth6() / c.ip6(m, plen=1000) / syn())]


def c_ipv6_tcp_trunc(c, m):
    return [cut(c.eth6() / c.ip6(m, plen=10, nh=6) / syn(), 14 + 40 + 10)]


def c_ipv6_hbh(c, m):
    return [b(c.eth6() / c.ip6(m) / IPv6ExtHdrHopByHop() / syn())]


def c_ipv6_chain3(c, m):
    return [b(c.eth6() / c.ip6(m) / IPv6ExtHdrHopByHop() /
              IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]) / IPv6ExtHdrDestOpt() /
              syn())]


def c_ipv6_chain9(c, m):
    p = c.eth6() / c.ip6(m)
    for _ in range(9):
        p = p / IPv6ExtHdrDestOpt()
    return [b(p / syn())]


def c_ipv6_hbh_not_first(c, m):
    return [b(c.eth6() / c.ip6(m) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / syn())]


def c_ipv6_ext_trunc(c, m):
    # a destination options header claiming 64 bytes in a 28-byte payload
    f = b(c.eth6() / c.ip6(m) / IPv6ExtHdrDestOpt() / syn())
    return [patch(f, 14 + 40 + 1, bytes([7]))]


def c_frag6_atomic(c, m):
    return [b(c.eth6() / c.ip6(m) / IPv6ExtHdrFragment(offset=0, m=0, id=m) / syn())]


def frags6(c, m, dport, size=3000, chunk=1448):
    # the UDP checksum covers the pseudo header: compute it over the whole datagram
    dgram = b(IPv6(src=c.s6, dst=c.d6) / UDP(sport=40006, dport=dport) / (b"F" * size))[40:]
    out = []
    for off in range(0, len(dgram), chunk):
        part = dgram[off:off + chunk]
        more = int(off + chunk < len(dgram))
        out.append(b(c.eth6() / c.ip6(m) / IPv6ExtHdrFragment(nh=17, offset=off // 8, m=more,
                                                               id=m) / part))
    return out


def c_frag6_real(c, m):
    return frags6(c, m, PORT)


def c_frag6_blocked(c, m):
    return frags6(c, m, BLOCKED)


def c_frag6_tiny_first(c, m):
    # the first fragment ends inside the TCP header (RFC 7112: the chain must be whole)
    seg = b(syn())
    return [b(c.eth6() / c.ip6(m) / IPv6ExtHdrFragment(nh=6, offset=0, m=1, id=m) / seg[:8]),
            b(c.eth6() / c.ip6(m) / IPv6ExtHdrFragment(nh=6, offset=1, m=0, id=m) / seg[8:])]


CASES = [(n[2:], f) for n, f in list(globals().items()) if n.startswith("c_")]


def counters(bulkhead, wl):
    out = subprocess.run([bulkhead, "--json", "workload", "list"], capture_output=True,
                         timeout=10, check=True).stdout
    for w in json.loads(out):
        if w["name"] == wl:
            return w["stats"]["drops"]
    raise SystemExit(f"workload {wl} not listed")


def status_ok(bulkhead):
    try:
        return subprocess.run([bulkhead, "status"], capture_output=True,
                              timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def cmd_run(args):
    bulkhead, wl, peer, s4, d4, s6, d6 = args[:7]
    want = args[7:]
    ctx = Ctx(get_if_hwaddr("eth0"), peer, s4, d4, s6, d6)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("eth0", 0))
    for i, (name, fn) in enumerate(CASES):
        if want and name not in want:
            continue
        before = counters(bulkhead, wl)
        SPORT[0] = 40000 + i
        for f in fn(ctx, MARK_BASE + i):
            try:
                s.send(f)
            except OSError as e:
                print(f"# {name}: send: {e}", file=sys.stderr)
        time.sleep(0.2)
        after = counters(bulkhead, wl)
        st = "ok" if status_ok(bulkhead) else "down"
        delta = " ".join(f"{r}={after.get(r, 0) - before.get(r, 0)}" for r in REASONS)
        print(f"{name} mark={MARK_BASE + i} {delta} status={st}", flush=True)


def cmd_seen(args):
    """Markers of frames from SRC4/SRC6 in a pcap (plain parsing: frames may be malformed)."""
    path, s4, s6 = args
    s4b, s6b = socket.inet_pton(socket.AF_INET, s4), socket.inet_pton(socket.AF_INET6, s6)
    data = open(path, "rb").read()
    little = data[:4] == b"\xd4\xc3\xb2\xa1"
    end = "<" if little else ">"
    off, seen = 24, set()
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        fr = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(fr) < 14:
            continue
        et = struct.unpack(">H", fr[12:14])[0]
        l3 = fr[14:]
        if et == 0x0800 and len(l3) >= 16 and l3[12:16] == s4b:
            seen.add(struct.unpack(">H", l3[4:6])[0])
        elif et == 0x86dd and len(l3) >= 24 and l3[8:24] == s6b:
            seen.add(struct.unpack(">I", l3[0:4])[0] & 0xfffff)
    for m in sorted(seen):
        print(m)


def flood(args, udp):
    """Bounded flood: SECONDS at about PPS, new source port per frame (new session each)."""
    dst_mac, src, dst, dport, secs, pps = args
    dport, secs, pps = int(dport), float(secs), int(pps)
    eth = Ether(src=get_if_hwaddr("eth0"), dst=dst_mac)
    if udp:
        tmpl = b(eth / IP(src=src, dst=dst) / UDP(sport=1, dport=dport, chksum=0) / b"flood")
    else:
        tmpl = b(eth / IP(src=src, dst=dst) / TCP(sport=1, dport=dport, flags="S", seq=1))
    hdr, l4 = tmpl[:14 + 20], bytearray(tmpl[14 + 20:])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("eth0", 0))
    start = time.monotonic()
    sent, burst = 0, max(1, pps // 100)
    while True:
        now = time.monotonic() - start
        if now >= secs:
            break
        if sent > now * pps:
            time.sleep(0.002)
            continue
        for _ in range(burst):
            sport = 1024 + sent % 64000
            l4[0:2] = struct.pack(">H", sport)
            # checksums are left stale: the dp does not check them, and the receiver's
            # kernel dropping the frame is what we want from a flood
            try:
                s.send(hdr + l4)
            except OSError:
                pass
            sent += 1
    print(sent)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cases":
        for name, _ in CASES:
            print(name)
    elif cmd == "run":
        cmd_run(args)
    elif cmd == "seen":
        cmd_seen(args)
    elif cmd in ("synflood", "udpflood"):
        flood(args, cmd == "udpflood")
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
