#!/usr/bin/python3
"""A gRPC server and client over clear-text HTTP/2 (h2c) for tests/data/make-pcaps.sh.

No generated stubs: generic handlers carry raw bytes.  Needs Debian's python3-grpcio
(run with /usr/bin/python3).
  grpc-peer.py serve PORT [ADDR]   echo server for /bulkhead.Echo/Say (on 127.0.0.1)
  grpc-peer.py call HOST:PORT      one unary call; prints the reply
"""
import sys
import time

import grpc


def serve(port, addr):
    def say(request, context):
        return b"echo:" + request

    handler = grpc.method_handlers_generic_handler(
        "bulkhead.Echo", {"Say": grpc.unary_unary_rpc_method_handler(say)})
    server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("%s:%d" % (addr, port))
    server.start()
    while True:
        time.sleep(3600)


def call(target):
    with grpc.insecure_channel(target) as ch:
        say = ch.unary_unary("/bulkhead.Echo/Say")
        print(say(b"hello", timeout=3).decode())


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1")
    else:
        call(sys.argv[2])
