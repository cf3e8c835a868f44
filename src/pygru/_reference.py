"""Pure-NumPy GRU layer: the oracle every kernel is tested against.

Written for clarity, not speed: one Python iteration per time step, the equations exactly as
in the design (gate order [r, z, n], PyTorch weight layout, batch-first input).

``reset_after=True`` (PyTorch, cuDNN, Keras 2+)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

``reset_after=False`` (Cho et al. 2014) replaces the candidate by
``n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)``.

Sequence ``i`` has length ``lengths[i]``: past it the state is carried unchanged, the outputs
are zero and gradients pass straight through. With ``reverse=True`` each sequence is read
backwards within its own length (time ``L_i - 1`` first), and outputs are stored at the time
index they belong to, as the backward half of a bidirectional layer needs.

``recurrent_mask`` (B, H), for recurrent dropout, multiplies h_{t-1} wherever it meets W_hh;
the blend ``z * h_{t-1}`` uses the unmasked state.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _time_index(step, lengths, reverse):
    """Time index read at ``step`` by every sequence, and which sequences are still running."""
    active = step < lengths
    time = lengths - 1 - step if reverse else np.full_like(lengths, step)
    return np.where(active, time, 0), active


def forward(
    x,
    w_ih,
    w_hh,
    b_ih,
    b_hh,
    h0=None,
    lengths=None,
    reset_after=True,
    reverse=False,
    recurrent_mask=None,
):
    """Forward pass of one GRU layer; returns ``(out, h_n, cache)``."""
    batch, steps, _ = x.shape
    hidden = w_hh.shape[1]
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    h = np.zeros((batch, hidden), x.dtype) if h0 is None else h0.copy()
    mask = np.ones((batch, hidden), x.dtype) if recurrent_mask is None else recurrent_mask
    out = np.zeros((batch, steps, hidden), x.dtype)
    records = []
    rows = np.arange(batch)
    for step in range(steps):
        time, active = _time_index(step, lengths, reverse)
        x_t = x[rows, time]
        gi = x_t @ w_ih.T + b_ih
        gi_r, gi_z, gi_n = np.split(gi, 3, axis=1)
        w_hr, w_hz, w_hn = np.split(w_hh, 3, axis=0)
        b_hr, b_hz, b_hn = np.split(b_hh, 3)
        h_masked = h * mask
        r = sigmoid(gi_r + h_masked @ w_hr.T + b_hr)
        z = sigmoid(gi_z + h_masked @ w_hz.T + b_hz)
        if reset_after:
            hn = h_masked @ w_hn.T + b_hn
            n = np.tanh(gi_n + r * hn)
        else:
            hn = (r * h_masked) @ w_hn.T + b_hn
            n = np.tanh(gi_n + hn)
        h_new = (1 - z) * n + z * h
        records.append(
            dict(
                time=time, active=active, x=x_t, h_prev=h, h_masked=h_masked, r=r, z=z, n=n, hn=hn
            )
        )
        h = np.where(active[:, None], h_new, h)
        out[rows[active], time[active]] = h[active]
    cache = dict(
        records=records,
        w_ih=w_ih,
        w_hh=w_hh,
        x_shape=x.shape,
        dtype=x.dtype,
        reset_after=reset_after,
        mask=mask,
    )
    return out, h, cache


def backward(d_out, d_h_n, cache):
    """Gradients ``(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)`` of the forward pass in ``cache``.

    ``d_out`` (B, T, H) and ``d_h_n`` (B, H) are the loss gradients with respect to the
    outputs and the final state; either may be ``None`` (no gradient).
    """
    w_ih, w_hh = cache["w_ih"], cache["w_hh"]
    batch, steps, _ = cache["x_shape"]
    hidden = w_hh.shape[1]
    dtype = cache["dtype"]
    w_hr, w_hz, w_hn = np.split(w_hh, 3, axis=0)
    dx = np.zeros(cache["x_shape"], dtype)
    dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    db_ih, db_hh = np.zeros(3 * hidden, dtype), np.zeros(3 * hidden, dtype)
    dh = np.zeros((batch, hidden), dtype) if d_h_n is None else d_h_n.astype(dtype, copy=True)
    rows = np.arange(batch)
    recurrent_mask = cache["mask"]
    for rec in reversed(cache["records"]):
        time, active = rec["time"], rec["active"]
        running = active[:, None].astype(dtype)
        if d_out is not None:
            dh = dh + running * d_out[rows, time]
        h_prev, h_masked = rec["h_prev"], rec["h_masked"]
        r, z, n, hn = rec["r"], rec["z"], rec["n"], rec["hn"]
        dh_active = running * dh
        dn = dh_active * (1 - z)
        dz = dh_active * (h_prev - n)
        da_n = dn * (1 - n * n)
        da_z = dz * z * (1 - z)
        if cache["reset_after"]:
            dr = da_n * hn
            dhn = da_n * r
            d_masked_via_n = dhn @ w_hn
            dw_hn = dhn.T @ h_masked
        else:
            d_rh = da_n @ w_hn
            dr = d_rh * h_masked
            dhn = da_n
            d_masked_via_n = d_rh * r
            dw_hn = da_n.T @ (r * h_masked)
        da_r = dr * r * (1 - r)
        d_gi = np.concatenate([da_r, da_z, da_n], axis=1)
        d_gh = np.concatenate([da_r, da_z, dhn], axis=1)
        dx[rows[active], time[active]] = (d_gi @ w_ih)[active]
        dw_ih += d_gi.T @ rec["x"]
        dw_hh += np.concatenate([da_r.T @ h_masked, da_z.T @ h_masked, dw_hn], axis=0)
        db_ih += d_gi.sum(axis=0)
        db_hh += d_gh.sum(axis=0)
        d_masked = da_r @ w_hr + da_z @ w_hz + d_masked_via_n
        dh_prev = dh_active * z + d_masked * recurrent_mask
        dh = np.where(active[:, None], dh_prev, dh)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh
