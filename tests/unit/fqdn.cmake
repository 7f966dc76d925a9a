# FQDN groups: the DNS name walker and answer parser (on real dnsmasq answers in tests/data/pcap), the
# shared table of resolved addresses, and the policy's patterns and evaluation.
bh_unit_test(test-dns-name bhdp)
bh_unit_test(test-dns-answer bhdp)
target_compile_definitions(test-dns-answer PRIVATE BH_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
bh_unit_test(test-fqdn-table bhdp)
bh_unit_test(test-policy-fqdn bhpolicy)
