# src/wire: JSON of pulled ports and port ids (pull/restore need root: tests/e2e/wire-smoke).
bh_unit_test(test-wire-json bhwire)
