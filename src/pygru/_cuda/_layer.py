"""The GPU algorithm of one GRU layer, written against an array module and a kernel launcher.

``runtime`` supplies ``xp`` (CuPy on a GPU; NumPy in the CPU emulation of the tests),
``limits`` (a ``DeviceLimits``), ``type_name`` ("float" or "double") and
``launch(name, grid, block, shared_bytes, args, cluster_size)``, which runs a kernel of
``gru.cu`` by its template name. Everything here is argument-checked already.

Forward: one GEMM projects all inputs (``x W_ih^T`` plus the biases outside ``r * (...)``),
then the recurrence runs as one persistent kernel or step by step (see ``_launch``).
Backward: the recurrence writes the gate gradients of every step, then a few large GEMMs give
``dx``, ``dW_ih`` and ``dW_hh``; bias gradients are column sums.
"""

import numpy as np

from pygru._cuda import _launch
from pygru._cuda._launch import PERSISTENT

__all__ = ["forward", "backward", "ClusterLaunchRefused"]


class ClusterLaunchRefused(Exception):
    """Raised by a runtime whose device refused a cluster launch; it has lowered its
    ``limits.max_cluster_size`` and the recurrence is planned again."""


def forward(
    runtime,
    x,
    w_ih,
    w_hh,
    b_ih,
    b_hh,
    h0,
    lengths,
    reset_after,
    reverse,
    recurrent_mask=None,
    plan=None,
):
    """Returns ``out, h_n, gates, hn`` as ``pygru.functional.gru_forward`` defines them.
    ``recurrent_mask`` (B, H) or None; ``plan`` forces a persistent launch configuration."""
    xp = runtime.xp
    batch, steps, inputs = x.shape
    hidden = w_hh.shape[1]
    dtype = x.dtype
    bias = b_ih.copy()
    if reset_after:
        bias[: 2 * hidden] += b_hh[: 2 * hidden]
    else:
        bias += b_hh
    input_proj = xp.matmul(x.reshape(batch * steps, inputs), w_ih.T)
    input_proj += bias
    input_proj = input_proj.reshape(batch, steps, 3 * hidden)
    b_hn = xp.ascontiguousarray(b_hh[2 * hidden :])
    out = xp.empty((batch, steps, hidden), dtype)
    gates = xp.empty((batch, steps, 3 * hidden), dtype)
    hn = xp.empty((batch, steps, hidden) if reset_after else (0, 0, 0), dtype)
    h_n = xp.empty((batch, hidden), dtype)
    sizes = (batch, steps, hidden)
    has_mask = recurrent_mask is not None
    mask = recurrent_mask if has_mask else xp.ones(1, dtype)

    def persistent(plan):
        runtime.launch(
            plan.kernel_name(runtime.type_name),
            plan.grid,
            plan.threads,
            plan.shared_bytes,
            (
                input_proj,
                w_hh,
                b_hn,
                h0,
                lengths,
                mask,
                out,
                gates,
                hn,
                h_n,
                *_ints(
                    *sizes,
                    reverse,
                    has_mask,
                    plan.tile_rows,
                    plan.k_split,
                    plan.w_stride,
                    plan.x_stride,
                ),
            ),
            plan.cluster_size,
        )

    def stepwise():
        h_n[...] = h0
        h_next = xp.empty_like(h0)
        h = h_n
        h_masked = xp.empty_like(h0) if has_mask else None
        grid, block = _launch.step_launch(batch, hidden)
        name = f"<{runtime.type_name}>"

        def recurrent_input(h):
            return xp.multiply(h, mask, out=h_masked) if has_mask else h

        if reset_after:
            hidden_proj = xp.empty((batch, 3 * hidden), dtype)
            for step in range(steps):
                xp.matmul(recurrent_input(h), w_hh.T, out=hidden_proj)
                runtime.launch(
                    "gru_step_forward_after" + name,
                    grid,
                    block,
                    0,
                    (
                        input_proj,
                        hidden_proj,
                        b_hn,
                        lengths,
                        h,
                        h_next,
                        out,
                        gates,
                        hn,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                h, h_next = h_next, h
        else:
            w_reset_update, w_candidate = w_hh[: 2 * hidden], w_hh[2 * hidden :]
            hidden_proj = xp.empty((batch, 2 * hidden), dtype)
            reset_h = xp.empty((batch, hidden), dtype)
            candidate_proj = xp.empty((batch, hidden), dtype)
            for step in range(steps):
                h_in = recurrent_input(h)
                xp.matmul(h_in, w_reset_update.T, out=hidden_proj)
                runtime.launch(
                    "gru_step_forward_reset" + name,
                    grid,
                    block,
                    0,
                    (
                        input_proj,
                        hidden_proj,
                        lengths,
                        h_in,
                        reset_h,
                        gates,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                xp.matmul(reset_h, w_candidate.T, out=candidate_proj)
                runtime.launch(
                    "gru_step_forward_candidate" + name,
                    grid,
                    block,
                    0,
                    (
                        input_proj,
                        candidate_proj,
                        lengths,
                        h,
                        h_next,
                        out,
                        gates,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                h, h_next = h_next, h
        if h is not h_n:
            h_n[...] = h

    _run(runtime, plan, batch, hidden, reset_after, False, persistent, stepwise)
    return out, h_n, gates, hn


def backward(
    runtime,
    d_out,
    d_h_n,
    x,
    w_ih,
    w_hh,
    h0,
    lengths,
    reset_after,
    reverse,
    out,
    gates,
    hn,
    recurrent_mask=None,
    plan=None,
):
    """Returns ``dx, dh0, dw_ih, dw_hh, db_ih, db_hh``; ``d_out`` may be None, ``d_h_n`` not
    (it is not modified). The other arguments are those of the forward pass and its results."""
    xp = runtime.xp
    batch, steps, inputs = x.shape
    hidden = w_hh.shape[1]
    dtype = x.dtype
    has_d_out = d_out is not None
    if not has_d_out:
        d_out = xp.zeros(1, dtype)
    d_input_proj = xp.empty((batch, steps, 3 * hidden), dtype)
    d_hidden_proj = xp.empty((batch, steps, 3 * hidden) if reset_after else (0, 0, 0), dtype)
    reset_hidden = xp.empty((0, 0, 0) if reset_after else (batch, steps, hidden), dtype)
    h_prev_all = xp.empty((batch, steps, hidden), dtype)
    dh0 = xp.empty((batch, hidden), dtype)
    sizes = (batch, steps, hidden)
    has_mask = recurrent_mask is not None
    mask = recurrent_mask if has_mask else xp.ones(1, dtype)

    def persistent(plan):
        w_hh_t = xp.ascontiguousarray(w_hh.T)
        runtime.launch(
            plan.kernel_name(runtime.type_name),
            plan.grid,
            plan.threads,
            plan.shared_bytes,
            (
                d_out,
                d_h_n,
                w_hh_t,
                h0,
                lengths,
                mask,
                out,
                gates,
                hn,
                d_input_proj,
                d_hidden_proj,
                reset_hidden,
                h_prev_all,
                dh0,
                *_ints(
                    *sizes,
                    reverse,
                    has_d_out,
                    has_mask,
                    plan.tile_rows,
                    plan.k_split,
                    plan.w_stride,
                    plan.x_stride,
                ),
            ),
            plan.cluster_size,
        )

    def stepwise():
        carry = dh0
        carry[...] = d_h_n
        product = xp.zeros((batch, hidden), dtype)
        grid, block = _launch.step_launch(batch, hidden)
        name = f"<{runtime.type_name}>"
        if reset_after:
            step_grad = xp.empty((batch, 3 * hidden), dtype)
            for step in reversed(range(steps)):
                runtime.launch(
                    "gru_step_backward_after" + name,
                    grid,
                    block,
                    0,
                    (
                        d_out,
                        *_ints(has_d_out),
                        carry,
                        product,
                        h0,
                        lengths,
                        mask,
                        *_ints(has_mask),
                        out,
                        gates,
                        hn,
                        d_input_proj,
                        d_hidden_proj,
                        h_prev_all,
                        step_grad,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                xp.matmul(step_grad, w_hh, out=product)
        else:
            w_reset_update, w_candidate = w_hh[: 2 * hidden], w_hh[2 * hidden :]
            candidate_grad = xp.empty((batch, hidden), dtype)
            reset_update_grad = xp.empty((batch, 2 * hidden), dtype)
            d_reset_h = xp.empty((batch, hidden), dtype)
            for step in reversed(range(steps)):
                runtime.launch(
                    "gru_step_backward_candidate" + name,
                    grid,
                    block,
                    0,
                    (
                        d_out,
                        *_ints(has_d_out),
                        carry,
                        product,
                        h0,
                        lengths,
                        mask,
                        *_ints(has_mask),
                        out,
                        gates,
                        d_input_proj,
                        reset_hidden,
                        h_prev_all,
                        candidate_grad,
                        reset_update_grad,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                xp.matmul(candidate_grad, w_candidate, out=d_reset_h)
                runtime.launch(
                    "gru_step_backward_reset" + name,
                    grid,
                    block,
                    0,
                    (
                        d_reset_h,
                        carry,
                        lengths,
                        mask,
                        *_ints(has_mask),
                        gates,
                        h_prev_all,
                        d_input_proj,
                        reset_hidden,
                        reset_update_grad,
                        *_ints(*sizes, step, reverse),
                    ),
                )
                xp.matmul(reset_update_grad, w_reset_update, out=product)
        if has_mask:
            product *= recurrent_mask
        carry += product

    _run(runtime, plan, batch, hidden, reset_after, True, persistent, stepwise)

    rows = batch * steps
    d_input_2d = d_input_proj.reshape(rows, 3 * hidden)
    h_prev_2d = h_prev_all.reshape(rows, hidden)
    dx = xp.matmul(d_input_2d, w_ih).reshape(batch, steps, inputs)
    dw_ih = xp.matmul(d_input_2d.T, x.reshape(rows, inputs))
    db_ih = d_input_2d.sum(axis=0)
    if reset_after:
        d_hidden_2d = d_hidden_proj.reshape(rows, 3 * hidden)
        dw_hh = xp.matmul(d_hidden_2d.T, h_prev_2d)
        db_hh = d_hidden_2d.sum(axis=0)
    else:
        dw_hh = xp.empty((3 * hidden, hidden), dtype)
        xp.matmul(d_input_2d[:, : 2 * hidden].T, h_prev_2d, out=dw_hh[: 2 * hidden])
        xp.matmul(
            d_input_2d[:, 2 * hidden :].T,
            reset_hidden.reshape(rows, hidden),
            out=dw_hh[2 * hidden :],
        )
        db_hh = db_ih.copy()
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def _run(runtime, plan, batch, hidden, reset_after, backward, persistent, stepwise):
    """Run the recurrence with ``plan`` (chosen for the device when None)."""
    itemsize = 4 if runtime.type_name == "float" else 8
    while True:
        current = plan or _launch.plan_recurrence(
            batch, hidden, itemsize, reset_after, backward, runtime.limits
        )
        if current.strategy != PERSISTENT:
            return stepwise()
        try:
            return persistent(current)
        except ClusterLaunchRefused:
            if plan is not None:
                raise


def _ints(*values):
    """Scalar kernel arguments: every one is a C int."""
    return tuple(np.int32(int(value)) for value in values)
