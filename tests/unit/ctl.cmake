bh_unit_test(test-state bhctl)
