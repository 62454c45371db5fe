"""A step recorded once into a CUDA graph and replayed (the capture switch; not validated on a GPU yet).

A replay launches every kernel of the recorded step in one call, without Python or CuPy's dispatch, which is what
bounds every workload at batch 1024 (bench/NOTES.md). What the step must be for that to be right:

- every array it reads or writes is a fixed buffer: new inputs are copied INTO the arrays it was recorded with;
- nothing in it reads the device from the host (no float(), .item(), to_numpy), and nothing changes with the step
  but through device memory (Adam's clock under the switch, updates.py; a new learning rate needs a new capture);
- no cuBLAS call through CuPy: CuPy refuses it during capture (its cupy_backends cuBLAS wrapper raises
  NotImplementedError on a capturing stream), so a step with a matmul or a convolution cannot be recorded
  whole today. bench/capture_probe.py tries the pieces between GEMMs and GEMMs through a cuBLAS handle of our
  own, to tell what a GPU accepts.

Temporaries the step allocates while recorded come from a memory pool of the graph's own, kept with it: the
graph's replays reuse those addresses, which the process's default pool must never hand to anyone else."""

from __future__ import annotations


class CapturedStep:
    """``step()`` run ``warmup`` times (kernels compiled, pools filled), then recorded on ``stream``;
    ``replay()`` runs the recording again; ``result`` is what the recorded call returned (its arrays are rewritten
    by every replay)."""

    def __init__(self, cupy, stream, step, warmup: int = 2) -> None:
        if not stream.is_non_blocking:
            raise ValueError("a CUDA graph is captured on a non-blocking stream of its own")
        self.stream = stream
        self.pool = cupy.cuda.MemoryPool()
        with stream:
            for _ in range(warmup):
                step()
        stream.synchronize()
        with stream, cupy.cuda.using_allocator(self.pool.malloc):
            stream.begin_capture()
            try:
                self.result = step()
            except BaseException:
                try:  # the stream must leave capture mode; the capture itself is void
                    stream.end_capture()
                except Exception:  # invalidated by the error being raised, which is the one to see
                    pass
                raise
            self.graph = stream.end_capture()

    def replay(self) -> None:
        """One more run of the recorded step, queued on the stream (nothing waits)."""
        self.graph.launch(self.stream)
