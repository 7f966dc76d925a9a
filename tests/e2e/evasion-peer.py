#!/usr/bin/python3
"""Crafted TCP clients for tests/e2e/test-evasion.sh (scapy, root).

  MODE SRC DST PORT TARGET   one HTTP GET of TARGET over a real handshake, its bytes
                             sent the MODE way; prints answer|reset|timeout
  modes:
    onebyte    1-byte segments, in order
    ooo        1-byte segments, last byte first, the first one at the end
    frag       the whole request in one segment, as IPv4 fragments sent out of order
    fragsame   the same fragments in order, plus one overlapping the end of the first
               and the start of the second (bytes 16-39), carrying the same bytes
    fragdiff   the same, the overlapping fragment carrying other bytes
    conflict   half the request, a retransmission of part of it with other bytes,
               then the rest
    flood      N (=TARGET) 1-byte segments with a gap between each, never filled

The kernel of the client netns must not answer the server itself: the test drops the
client's outgoing RSTs with iptables while this runs.
"""
import random
import sys
import threading

from scapy.all import IP, TCP, AsyncSniffer, Raw, conf, fragment, send, sr1  # noqa: E402

conf.verb = 0


def handshake(src, dst, port):
    sport = random.randint(20000, 60000)
    isn = random.randint(0, 2**32 - 1)
    syn = IP(src=src, dst=dst) / TCP(sport=sport, dport=port, flags="S", seq=isn, window=65535)
    sa = sr1(syn, timeout=2)
    if sa is None or not sa.haslayer(TCP) or (sa[TCP].flags & 0x12) != 0x12:
        print("timeout")
        sys.exit(0)
    ack = (sa[TCP].seq + 1) & 0xFFFFFFFF
    base = IP(src=src, dst=dst) / TCP(sport=sport, dport=port, flags="A", window=65535)
    p = base.copy()
    p[TCP].seq = isn + 1
    p[TCP].ack = ack
    send(p)
    return base, isn + 1, ack, sport


def seg(base, seq, ack, data, flags="PA"):
    p = base.copy()
    p[TCP].seq = seq & 0xFFFFFFFF
    p[TCP].ack = ack
    p[TCP].flags = flags
    return p / data


def overlapping(whole, same):
    """IPv4 fragments of 24 bytes in order; after the first, one at 16-39 (a partial overlap)."""
    whole = IP(bytes(whole))  # checksums filled in
    data = bytes(whole[IP].payload)
    hdr = dict(src=whole.src, dst=whole.dst, id=whole.id, proto=whole.proto, ttl=64)
    frags = []
    for off in range(0, len(data), 24):
        more = off + 24 < len(data)
        frags.append(IP(flags="MF" if more else 0, frag=off // 8, **hdr) / Raw(data[off:off + 24]))
    extra = data[16:40] if same else bytes(b ^ 0x20 for b in data[16:40])
    frags.insert(1, IP(flags="MF", frag=2, **hdr) / Raw(extra))
    return frags


def watch(dst, port, sport):
    """Start capturing what comes back to our port, before we send anything."""
    ready = threading.Event()
    sn = AsyncSniffer(filter="tcp and src host %s and src port %d and dst port %d" % (dst, port, sport),
                      stop_filter=lambda p: bool(p[TCP].flags & 0x04) or len(p[TCP].payload) > 0,
                      started_callback=ready.set)
    sn.start()
    ready.wait(2)  # the capture socket is open: nothing that comes back is missed
    return sn


def outcome(sn, secs=2):
    """What came back: data, a reset, or nothing."""
    sn.join(timeout=secs)
    if sn.running:
        got = sn.stop()
    else:
        got = sn.results
    for p in got or []:
        if p[TCP].flags & 0x04:
            return "reset"
        if len(p[TCP].payload):
            return "answer"
    return "timeout"


def main():
    mode, src, dst, port, target = sys.argv[1:6]
    port = int(port)
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (target, dst)).encode()
    base, seq, ack, sport = handshake(src, dst, port)
    pkts = []
    if mode == "onebyte":
        pkts = [seg(base, seq + i, ack, req[i:i + 1]) for i in range(len(req))]
    elif mode == "ooo":
        pkts = [seg(base, seq + i, ack, req[i:i + 1]) for i in range(len(req) - 1, 0, -1)]
        pkts.append(seg(base, seq, ack, req[0:1]))
    elif mode == "frag":
        whole = seg(base, seq, ack, req)
        whole[IP].id = random.randint(1, 65535)
        frags = fragment(whole, fragsize=24)
        pkts = list(reversed(frags))
    elif mode in ("fragsame", "fragdiff"):
        whole = seg(base, seq, ack, req)
        whole[IP].id = random.randint(1, 65535)
        pkts = overlapping(whole, mode == "fragsame")
    elif mode == "conflict":
        half = len(req) // 2
        evil = bytearray(req[4:half])
        evil[0:1] = b"X"
        # the other bytes come before the request is whole: protect resets it unanswered
        pkts = [seg(base, seq, ack, req[:half]), seg(base, seq + 4, ack, bytes(evil)),
                seg(base, seq + half, ack, req[half:])]
    elif mode == "flood":
        n = int(target)
        pkts = [seg(base, seq + 1 + 2 * i, ack, b"z") for i in range(n)]
    else:
        print("usage: evasion-peer.py onebyte|ooo|frag|fragsame|fragdiff|conflict|flood SRC DST PORT TARGET")
        sys.exit(2)
    sn = watch(dst, port, sport)
    send(pkts)
    print(outcome(sn) if mode != "flood" else "sent")
    if sn.running:
        sn.stop()
    rst = seg(base, seq + (len(req) if mode != "flood" else 0), ack, b"", flags="R")
    send(rst)


if __name__ == "__main__":
    main()
