"""Launch configuration of the CUDA kernels, in plain Python so that it can be tested anywhere.

The recurrence runs either as one persistent kernel for all time steps or, when the recurrent
weights do not fit the shared memory of a thread-block cluster (or the batch would need many
waves of clusters), step by step: a cuBLAS GEMM and a fused elementwise kernel per step.

Persistent kernel (see the header of ``gru.cu``): the batch is cut into tiles of ``tile_rows``
rows; each tile is served by a cluster of ``cluster_size`` blocks, block ``rank`` owning
``units = ceil(H / cluster_size)`` hidden units with all three gates and the matching slice of
``W_hh`` in shared memory. ``k_split`` lanes share one work item (``rows_per_item`` rows of one
unit) and split the dot products. ``shared_bytes`` mirrors the kernel's shared-memory layout
exactly; the CPU emulation in the tests allocates exactly that much and checks the bounds.
"""

from dataclasses import dataclass

__all__ = [
    "DeviceLimits",
    "RecurrencePlan",
    "plan_recurrence",
    "make_plan",
    "shared_bytes",
    "kernel_names",
    "PERSISTENT",
    "STEPWISE",
]

PERSISTENT = "persistent"
STEPWISE = "stepwise"

ROWS_PER_ITEM = (1, 4)  # template values of ROWS instantiated in gru.cu
CLUSTER_SIZES = (2, 4, 8, 16)  # template values of CLUSTER instantiated in gru.cu
MAX_THREADS = 512  # __launch_bounds__ of the kernels
PORTABLE_CLUSTER_SIZE = 8  # larger clusters need the non-portable opt-in
MAX_WAVES = 2  # more waves of tiles: stepwise (a guess; tune with bench_gpu)
_LENGTH_BYTES = 4  # one int per tile row, after the floating-point regions
_STEP_THREADS = 256


@dataclass(frozen=True)
class DeviceLimits:
    """What the launch configuration depends on.

    shared_memory_per_block : dynamic shared memory one block may opt in to, in bytes
        (227 KiB on Hopper).
    multiprocessors : number of SMs; tiles beyond what fits at once run in further waves.
    max_cluster_size : largest thread-block cluster (1 before Hopper: no clusters).
    max_threads : threads per block, at most MAX_THREADS.
    """

    shared_memory_per_block: int
    multiprocessors: int
    max_cluster_size: int = 1
    max_threads: int = MAX_THREADS


@dataclass(frozen=True)
class RecurrencePlan:
    """How one forward or backward recurrence is launched."""

    strategy: str
    backward: bool = False
    reset_after: bool = True
    cluster_size: int = 1
    tile_rows: int = 0
    rows_per_item: int = 1
    k_split: int = 1
    threads: int = 0
    tiles: int = 0
    w_stride: int = 0
    x_stride: int = 0
    shared_bytes: int = 0
    reason: str = ""

    @property
    def grid(self):
        """Blocks in the launch: ``cluster_size`` consecutive blocks serve one tile."""
        return self.cluster_size * self.tiles

    def kernel_name(self, type_name):
        """Template instantiation of ``gru.cu`` that runs this plan (``type_name``: float or
        double)."""
        if self.strategy != PERSISTENT:
            raise ValueError("a stepwise plan runs the gru_step_* kernels")
        kind = "backward" if self.backward else "forward"
        flag = "true" if self.reset_after else "false"
        if self.cluster_size == 1:
            return f"gru_{kind}_block<{type_name}, {flag}, {self.rows_per_item}>"
        return (
            f"gru_{kind}_cluster<{type_name}, {flag}, {self.cluster_size}, {self.rows_per_item}>"
        )


def kernel_names(type_name, max_cluster_size):
    """Every template instantiation the backend may launch for one dtype: the
    ``name_expressions`` compiled together into one module."""
    names = []
    for kind in ("forward", "backward"):
        for flag in ("true", "false"):
            for rows in ROWS_PER_ITEM:
                names.append(f"gru_{kind}_block<{type_name}, {flag}, {rows}>")
                names.extend(
                    f"gru_{kind}_cluster<{type_name}, {flag}, {size}, {rows}>"
                    for size in CLUSTER_SIZES
                    if size <= max_cluster_size
                )
    names.extend(f"{step}<{type_name}>" for step in step_kernels())
    return names


def step_kernels():
    return (
        "gru_step_forward_after",
        "gru_step_forward_reset",
        "gru_step_forward_candidate",
        "gru_step_backward_after",
        "gru_step_backward_candidate",
        "gru_step_backward_reset",
    )


def step_launch(batch, hidden):
    """Grid and block of a gru_step_* kernel: one thread per (row, unit)."""
    return -(-batch * hidden // _STEP_THREADS), _STEP_THREADS


def units_per_block(hidden, cluster_size):
    return -(-hidden // cluster_size)


def shared_bytes(backward, reset_after, units, tile_rows, w_stride, x_stride, itemsize):
    """Dynamic shared memory of one block; mirrors ForwardLayout/BackwardLayout in gru.cu."""
    rows = tile_rows
    if backward:
        elements = units * w_stride + 2 * rows * x_stride + 2 * rows * 6 * units + 2 * rows * units
    else:
        elements = 3 * units * w_stride + 2 * rows * x_stride + 2 * rows * 3 * units
        if not reset_after:
            elements += rows * x_stride + rows * 2 * units
        elements += 2 * rows * units
    return elements * itemsize + rows * _LENGTH_BYTES


def padded_stride(length, k_split, itemsize):
    """Row stride (elements) of a shared-memory matrix whose rows are read by groups of
    ``k_split`` lanes at the same column: the smallest stride >= length that puts the rows of a
    warp's groups in different banks (32 banks of 4 bytes)."""
    banks = 32 if itemsize == 4 else 16  # a double spans two banks
    return length + (k_split % banks - length) % banks


def make_plan(
    batch,
    hidden,
    itemsize,
    reset_after,
    backward,
    cluster_size,
    tile_rows,
    rows_per_item,
    k_split,
    threads,
    pad=True,
):
    """A persistent-kernel plan with everything given; computes strides, tiles and shared
    memory. Raises ValueError for a configuration the kernels cannot run."""
    if rows_per_item not in ROWS_PER_ITEM or tile_rows % rows_per_item:
        raise ValueError(
            f"tile_rows={tile_rows} must be a multiple of rows_per_item="
            f"{rows_per_item} (one of {ROWS_PER_ITEM})"
        )
    if cluster_size != 1 and cluster_size not in CLUSTER_SIZES:
        raise ValueError(f"cluster_size must be 1 or one of {CLUSTER_SIZES}, got {cluster_size}")
    if k_split < 1 or k_split > 32 or k_split & (k_split - 1):
        raise ValueError(f"k_split must be a power of two in 1..32, got {k_split}")
    if threads % 32 or not 32 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be a multiple of 32 in 32..{MAX_THREADS}, got {threads}")
    units = units_per_block(hidden, cluster_size)
    if units * (cluster_size - 1) >= hidden:
        raise ValueError(
            f"a cluster of {cluster_size} blocks would leave a block without "
            f"hidden units (H={hidden})"
        )
    width = 3 * hidden if backward else hidden
    w_stride = padded_stride(width, k_split, itemsize) if pad else width
    x_stride = padded_stride(width, 1, itemsize) if pad else width
    return RecurrencePlan(
        strategy=PERSISTENT,
        backward=backward,
        reset_after=reset_after,
        cluster_size=cluster_size,
        tile_rows=tile_rows,
        rows_per_item=rows_per_item,
        k_split=k_split,
        threads=threads,
        tiles=-(-batch // tile_rows),
        w_stride=w_stride,
        x_stride=x_stride,
        shared_bytes=shared_bytes(
            backward, reset_after, units, tile_rows, w_stride, x_stride, itemsize
        ),
    )


def _thread_shape(items, dot_length, max_threads):
    """(k_split, threads): as many lanes per item as fill the block, each lane keeping at least
    four terms of every dot product."""
    k_split = 1
    while k_split < 32 and items * k_split * 2 <= max_threads and dot_length >= k_split * 2 * 4:
        k_split *= 2
    threads = min(max_threads, -(-items * k_split // 32) * 32)
    return k_split, threads


def _largest_tile(backward, reset_after, units, width, itemsize, limit, wanted):
    """Most rows (<= wanted) whose unpadded layout fits ``limit`` bytes; 0 if none."""
    rows = 0
    while (
        rows < wanted
        and shared_bytes(backward, reset_after, units, rows + 1, width, width, itemsize) <= limit
    ):
        rows += 1
    return rows


def plan_recurrence(batch, hidden, itemsize, reset_after, backward, limits, max_waves=MAX_WAVES):
    """Choose how to run one recurrence (forward or backward) on a device with ``limits``.

    The smallest cluster whose blocks hold their slice of W_hh and that runs the whole batch in
    at most ``max_waves`` waves of tiles; a tile gets as few rows as spread the batch over the
    clusters that fit on the device at once. Otherwise the stepwise fallback.
    """
    width = 3 * hidden if backward else hidden
    max_threads = min(limits.max_threads, MAX_THREADS)
    limit = limits.shared_memory_per_block
    for cluster_size in (1,) + CLUSTER_SIZES:
        if cluster_size > limits.max_cluster_size:
            break
        units = units_per_block(hidden, cluster_size)
        if cluster_size > 1 and units * (cluster_size - 1) >= hidden:
            break
        resident = max(1, limits.multiprocessors // cluster_size)
        wanted = -(-batch // resident)
        rows = _largest_tile(backward, reset_after, units, width, itemsize, limit, wanted)
        if rows == 0:
            continue
        rows_per_item = 4 if rows >= 4 else 1
        rows -= rows % rows_per_item
        tiles = -(-batch // rows)
        if -(-tiles // resident) > max_waves:
            continue
        k_split, threads = _thread_shape(units * rows // rows_per_item, hidden, max_threads)
        plan = make_plan(
            batch,
            hidden,
            itemsize,
            reset_after,
            backward,
            cluster_size,
            rows,
            rows_per_item,
            k_split,
            threads,
        )
        if plan.shared_bytes > limit:
            plan = make_plan(
                batch,
                hidden,
                itemsize,
                reset_after,
                backward,
                cluster_size,
                rows,
                rows_per_item,
                k_split,
                threads,
                pad=False,
            )
        return plan
    return RecurrencePlan(
        strategy=STEPWISE,
        backward=backward,
        reset_after=reset_after,
        reason=(
            f"W_hh slices for H={hidden} do not fit {limit} bytes of shared memory per "
            f"block in clusters of up to {limits.max_cluster_size} blocks within "
            f"{max_waves} waves for batch {batch}"
        ),
    )
