# The tap driver's dp half (src/dp/dp-tap.c): direction by packet type, the observe path.
bh_unit_test(test-dp-tap bhdp)
