# steer: the tc driver's rule text and the tc action probe (no root needed).
bh_unit_test(test-steer-tc bhsteer)
