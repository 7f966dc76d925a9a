# User signatures (src/dp/sig*.c): Hyperscan compile, stream matching, HTTP fields, pools.
bh_unit_test(test-sig bhdp)
