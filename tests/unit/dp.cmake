# Unit tests of src/dp (decode, session).
bh_unit_test(test-decode bhdp)
bh_unit_test(test-session bhdp)
bh_unit_test(test-decode-refrag bhdp)

# Root smoke harness of the dp: built and run by tests/e2e/dp-smoke/run.sh, not by ctest.
add_executable(dp-smoke EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/e2e/dp-smoke/dp-smoke.c)
target_link_libraries(dp-smoke bhdp bhcommon)

# DPI: real sessions recorded in tests/data/pcap (tests/data/make-pcaps.sh), replayed.
bh_unit_test(test-dpi bhdp)
target_compile_definitions(test-dpi PRIVATE BH_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")

# Threat stage: every catalogued threat and a near miss (tests/unit/test-threat.c).
bh_unit_test(test-threat bhdp)

# TCP stream reassembly for inspection (tests/unit/test-reasm.c).
bh_unit_test(test-reasm bhdp)
# The dp's index of inline ports by MAC (one-pass judging, src/dp/dp-pair.c).
bh_unit_test(test-dp-mac bhdp)
