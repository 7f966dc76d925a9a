bh_unit_test(test-state bhctl)
bh_unit_test(test-ctl-conv bhctl)
bh_unit_test(test-ctl-jsonl bhctl)
bh_unit_test(test-ctl-event-json bhctl)
