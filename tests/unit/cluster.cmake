bh_unit_test(test-cluster-etcd bhctl)
