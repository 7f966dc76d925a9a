# Bounds against hostile input that have their own units (the malformed/flood e2e tests
# cover the rest).
bh_unit_test(test-ctl-log-limit bhctl)
bh_unit_test(test-frag-ipv6 bhdp)
