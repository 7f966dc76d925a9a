# Unit tests of src/policy (groups, rules, modes, learning, policy.json).
bh_unit_test(test-policy bhpolicy)
bh_unit_test(test-policy-port bhpolicy)
bh_unit_test(test-policy-eval bhpolicy)
bh_unit_test(test-policy-learn bhpolicy)
bh_unit_test(test-policy-json bhpolicy)
