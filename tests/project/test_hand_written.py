"""bench/hand_written.py's plain-NumPy W3 and W4 are the references our CNNs are compared with: one SGD step of
each must update every parameter exactly as ours does from the same weights and batch."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@pytest.mark.parametrize("key", ["W3", "W4"])
def test_hand_written_step_matches_ours(key, bench_path):
    import hand_written
    import workloads

    w = workloads.at_batch(workloads.WORKLOADS[key], 7)
    with nn.device("cpu"):
        net, loss = w.ours()
        hand = hand_written.HAND[key]([nn.to_numpy(p.data) for p in net.parameters()])
        x, y = workloads.synthetic_data(w, n_batches=1, seed=3)
        before = [nn.to_numpy(p.data).copy() for p in net.parameters()]
        nn.Optim(net, loss, nn.SGD(net, lr=0.5)).step(nn.asarray(x), nn.asarray(y))
        hand.step(x, y, lr=0.5)
        for p, mine, old in zip(net.parameters(), hand.params(), before):
            ours = nn.to_numpy(p.data)
            assert not np.array_equal(ours, old), f"{p.name}: the step must move every parameter"
            np.testing.assert_allclose(mine.reshape(ours.shape), ours, rtol=1e-4, atol=1e-6, err_msg=p.name)
