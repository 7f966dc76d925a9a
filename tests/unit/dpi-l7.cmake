# Our own application dissectors (gRPC in h2c with HPACK, Kafka): src/dp/dpi-h2.c,
# src/dp/dpi-kafka.c.  The pcap replays of real grpc-python and kcat sessions are in
# test-dpi (tests/data/pcap/grpc.pcap, kafka.pcap).
bh_unit_test(test-dpi-l7 bhdp)
