"""Optimizers that update one flat parameter vector in place, learning-rate schedules, clipping.

A network keeps all its parameters in one 1-D array (docs/design.md §2). An optimizer holds
that array and, at every ``step(grads)``, updates it in place from a gradient array of the
same shape and dtype; its own state (velocities, moments) lives in arrays of that dtype too,
so float32 training stays float32. The updates use only array methods and operators, so
NumPy and CuPy arrays both work; the calls that create arrays go through
``pygru._arrays.array_module``, and :meth:`BaseOptimizer.move_to` moves the state with the
parameters between devices.

Epoch-end protocol
------------------
The training loop calls, once at the end of every epoch::

    should_stop = optimizer.on_epoch_end(epoch, loss, n_samples_seen)

``epoch``
    Number of the epoch that just ended, counting from 1.
``loss``
    The quantity training minimises: the training loss, or minus the validation score when
    the estimator stops early on a validation set.
``n_samples_seen``
    Number of training samples processed so far, over all epochs (scikit-learn's ``t_``).

The optimizer forwards the call to its schedule, which sets ``optimizer.learning_rate`` for
the next epoch. ``should_stop`` can only become True with the ``"adaptive"`` schedule: as in
scikit-learn's ``MLPClassifier``, that schedule takes over the no-improvement rule (it divides
the rate by 5 instead of stopping) and asks to stop once the loss stalls again while the rate
is already at or below 1e-6. With the other schedules the estimator applies its own
``n_iter_no_change``/``tol`` stopping rule.
"""

import copy
import math

import numpy as np

from pygru._arrays import array_module, to_host

# The "adaptive" schedule asks to stop instead of dividing a rate this small (as scikit-learn).
_MIN_ADAPTIVE_LEARNING_RATE = 1e-6


def clip_gradients(grads, clipnorm=None, clipvalue=None):
    """Clip a flat gradient vector in place.

    Parameters
    ----------
    grads : ndarray of shape (n_params,)
        Gradient of all parameters; modified in place.

    clipnorm : float, default=None
        If set, rescale ``grads`` so that its global L2 norm is at most ``clipnorm`` (the
        ``global_clipnorm`` of Keras; one norm over the whole vector, not per layer).

    clipvalue : float, default=None
        If set, clip every element to ``[-clipvalue, clipvalue]``, after ``clipnorm``.

    Returns
    -------
    grads : ndarray of shape (n_params,)
        The same array, clipped. Non-finite gradients stay non-finite: detecting them is the
        caller's job.

    Examples
    --------
    >>> import numpy as np
    >>> clip_gradients(np.array([3.0, 4.0]), clipnorm=1.0)
    array([0.6, 0.8])
    >>> clip_gradients(np.array([3.0, -4.0]), clipvalue=1.0)
    array([ 1., -1.])
    """
    # Python floats: NumPy scalars would promote float32 arithmetic (np.float64(1.0) and 1.0
    # are one setting, and must give one model).
    if clipnorm is not None:
        norm = _global_norm(grads)
        if norm > clipnorm:
            grads *= float(clipnorm) / norm
    if clipvalue is not None:
        grads.clip(-float(clipvalue), float(clipvalue), out=grads)
    return grads


def _sum_of_squares(values):
    """Sum of squares by NumPy's (or CuPy's) fixed-order summation, not a BLAS dot product,
    whose result can depend on its thread count."""
    return float((values * values).sum())


def _global_norm(grads):
    """L2 norm of ``grads`` as a Python float, without overflow in float32."""
    with np.errstate(over="ignore"):
        norm = _sum_of_squares(grads) ** 0.5
    if math.isinf(norm):
        # Squares overflow float32 above ~1e19, exactly where clipping matters: rescale first.
        largest = float(abs(grads).max())
        if math.isfinite(largest):
            scaled = grads / largest
            norm = largest * _sum_of_squares(scaled) ** 0.5
    return norm


class ConstantSchedule:
    """Keep the learning rate at its initial value; base of the other schedules.

    Parameters
    ----------
    learning_rate_init : float
        The learning rate, > 0.

    Attributes
    ----------
    learning_rate : float
        The current learning rate.
    """

    def __init__(self, learning_rate_init):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)

    def on_epoch_end(self, epoch, loss, n_samples_seen):
        """Update ``learning_rate`` after an epoch; see the module docstring for the protocol.

        Parameters
        ----------
        epoch : int
            Number of the epoch that just ended, counting from 1.

        loss : float
            The quantity training minimises, measured on this epoch.

        n_samples_seen : int
            Number of training samples processed so far, over all epochs.

        Returns
        -------
        should_stop : bool
            True when the schedule cannot make progress any more.
        """
        return self._update(epoch, float(loss), n_samples_seen)

    def _update(self, epoch, loss, n_samples_seen):
        """Set ``learning_rate`` for the next epoch and return whether to stop."""
        return False

    def resume(self, epoch, n_samples_seen):
        """Set the rate of a run that continues a model trained for ``epoch`` epochs on
        ``n_samples_seen`` samples (a warm fit's new optimizer), where the rate follows from
        those counts; a rate that follows the losses starts again."""


class InvScalingSchedule(ConstantSchedule):
    """``learning_rate_init / (n_samples_seen + 1) ** power_t``, as scikit-learn's MLP.

    Parameters
    ----------
    learning_rate_init : float
        The learning rate of the first epoch, > 0.

    power_t : float, default=0.5
        Exponent of the decay, >= 0.
    """

    def __init__(self, learning_rate_init, power_t=0.5):
        super().__init__(learning_rate_init)
        self.power_t = float(power_t)  # a Python float, as learning_rate_init (see SGD)

    def _update(self, epoch, loss, n_samples_seen):
        try:
            decay = (n_samples_seen + 1) ** self.power_t
        except OverflowError:  # a large power_t: the rate is 0 to float precision
            decay = math.inf
        self.learning_rate = float(self.learning_rate_init) / decay
        return False

    def resume(self, epoch, n_samples_seen):
        self._update(epoch, None, n_samples_seen)


class ExponentialSchedule(ConstantSchedule):
    """``learning_rate_init * decay_rate ** epoch``: epoch ``k`` (from 0) runs at ``init * d**k``.

    Parameters
    ----------
    learning_rate_init : float
        The learning rate of the first epoch, > 0.

    decay_rate : float, default=0.96
        Factor applied after every epoch, in (0, 1].
    """

    def __init__(self, learning_rate_init, decay_rate=0.96):
        super().__init__(learning_rate_init)
        self.decay_rate = float(decay_rate)  # a Python float, as learning_rate_init (see SGD)

    def _update(self, epoch, loss, n_samples_seen):
        self.learning_rate = float(self.learning_rate_init) * self.decay_rate**epoch
        return False

    def resume(self, epoch, n_samples_seen):
        self._update(epoch, None, n_samples_seen)


class AdaptiveSchedule(ConstantSchedule):
    """Divide the rate by 5 whenever the loss stalls, as scikit-learn's "adaptive" rate.

    The loss stalls when ``n_iter_no_change`` consecutive epochs each fail to get ``tol`` below
    the best loss so far (scikit-learn's MLPClassifier waits for one epoch more). The rate is
    then divided by 5 and the count starts again; if the rate is already at or below 1e-6,
    ``on_epoch_end`` returns True instead, to stop training.

    Parameters
    ----------
    learning_rate_init : float
        The learning rate until the first stall, > 0.

    tol : float, default=1e-4
        Improvement over the best loss that counts as progress, >= 0.

    n_iter_no_change : int, default=10
        Number of consecutive epochs without progress that make a stall, >= 1.

    Attributes
    ----------
    best_loss : float
        Lowest loss seen so far.

    n_epochs_without_progress : int
        Consecutive epochs that did not improve on ``best_loss`` by ``tol``.
    """

    def __init__(self, learning_rate_init, tol=1e-4, n_iter_no_change=10):
        super().__init__(learning_rate_init)
        self.tol = float(tol)  # a NumPy float32 would make the comparison float32
        self.n_iter_no_change = n_iter_no_change
        self.best_loss = math.inf
        self.n_epochs_without_progress = 0

    def _update(self, epoch, loss, n_samples_seen):
        # Written so that a NaN loss counts as no progress.
        if loss <= self.best_loss - self.tol:
            self.n_epochs_without_progress = 0
        else:
            self.n_epochs_without_progress += 1
        self.best_loss = min(self.best_loss, loss)
        if self.n_epochs_without_progress < self.n_iter_no_change:
            return False
        self.n_epochs_without_progress = 0
        if self.learning_rate <= _MIN_ADAPTIVE_LEARNING_RATE:
            return True
        self.learning_rate /= 5
        return False


_SCHEDULES = {
    "constant": ConstantSchedule,
    "invscaling": InvScalingSchedule,
    "adaptive": AdaptiveSchedule,
    "exponential": ExponentialSchedule,
}


def make_schedule(
    name, learning_rate_init, *, power_t=0.5, decay_rate=0.96, tol=1e-4, n_iter_no_change=10
):
    """Build a learning-rate schedule from its name, ignoring options of the other schedules.

    Parameters
    ----------
    name : {"constant", "invscaling", "adaptive", "exponential"}
        Which schedule; see the classes of the same names.

    learning_rate_init : float
        The initial learning rate, > 0.

    power_t : float, default=0.5
        Exponent of ``"invscaling"``.

    decay_rate : float, default=0.96
        Per-epoch factor of ``"exponential"``.

    tol : float, default=1e-4
        Progress threshold of ``"adaptive"``.

    n_iter_no_change : int, default=10
        Patience of ``"adaptive"``, in epochs.

    Returns
    -------
    schedule : ConstantSchedule
        A :class:`ConstantSchedule` or a subclass of it.

    Examples
    --------
    >>> schedule = make_schedule("exponential", 0.1, decay_rate=0.5)
    >>> schedule.on_epoch_end(epoch=2, loss=1.0, n_samples_seen=64)
    False
    >>> schedule.learning_rate
    0.025
    """
    schedule_class = _lookup(_SCHEDULES, name, "schedule")
    options = {
        "invscaling": {"power_t": power_t},
        "exponential": {"decay_rate": decay_rate},
        "adaptive": {"tol": tol, "n_iter_no_change": n_iter_no_change},
    }.get(name, {})
    return schedule_class(learning_rate_init, **options)


class BaseOptimizer:
    """Update a flat parameter vector in place from its gradient; base of the optimizers.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Floating-point parameters, updated in place by :meth:`step`.

    learning_rate_init : float
        The initial learning rate, > 0.

    schedule : ConstantSchedule, default=None
        How the learning rate changes from epoch to epoch; ``None`` keeps it constant. Its
        ``learning_rate_init`` must equal ``learning_rate_init``.

    Attributes
    ----------
    t : int
        Number of steps taken.
    """

    def __init__(self, params, learning_rate_init, schedule=None):
        _check_params(params)
        if schedule is None:
            schedule = ConstantSchedule(learning_rate_init)
        elif schedule.learning_rate_init != learning_rate_init:
            raise ValueError(
                f"learning_rate_init={learning_rate_init!r} differs from the schedule's "
                f"learning_rate_init={schedule.learning_rate_init!r}; they must be equal."
            )
        self.params = params
        self.learning_rate_init = learning_rate_init
        self.schedule = schedule
        self.t = 0

    @property
    def learning_rate(self):
        """float: the current learning rate, set by the schedule."""
        return self.schedule.learning_rate

    def step(self, grads):
        """Update ``params`` in place from their gradient.

        Parameters
        ----------
        grads : ndarray of shape (n_params,)
            Gradient of the loss with respect to ``params``, of the same dtype.
        """
        if getattr(grads, "shape", None) != self.params.shape:
            raise ValueError(
                f"grads must have the shape of params {self.params.shape}, "
                f"got {getattr(grads, 'shape', type(grads).__name__)}."
            )
        if grads.dtype != self.params.dtype:
            raise TypeError(
                f"grads must have the dtype of params ({self.params.dtype}), got {grads.dtype}."
            )
        self.t += 1
        self._update(grads, self.learning_rate)

    def on_epoch_end(self, epoch, loss, n_samples_seen):
        """Let the schedule update the learning rate; True means training should stop.

        See the module docstring for the protocol and
        :meth:`ConstantSchedule.on_epoch_end` for the parameters.
        """
        return self.schedule.on_epoch_end(epoch, loss, n_samples_seen)

    def reset_state(self):
        """Forget the steps taken (the state arrays become zero, the step count 0), as after
        a divergence whose steps the weights went back on; the schedule, with its learning
        rate (the adaptive schedule's reductions), stays."""
        self.t = 0
        for _, value in self._state_arrays():
            value[...] = 0

    def state(self):
        """A copy of what the steps taken have changed (the step count, the state arrays)
        and of the schedule (its learning rate, the adaptive schedule's counters), for
        :meth:`restore`."""
        arrays = {name: value.copy() for name, value in self._state_arrays()}
        return self.t, arrays, copy.deepcopy(self.schedule)

    def restore(self, state):
        """Go back to a :meth:`state`, as if the steps taken since had not been."""
        self.t, arrays, schedule = state
        for name, value in arrays.items():
            getattr(self, name)[...] = value
        self.schedule = copy.deepcopy(schedule)

    def _state_arrays(self):
        return [
            (name, value)
            for name, value in vars(self).items()
            if name != "params" and hasattr(value, "__array_function__")
        ]

    def move_to(self, params):
        """Continue with ``params``, the same values on another device (NumPy <-> CuPy) or
        in another array: the state arrays (velocities, moments) follow them, as writable
        arrays (a memory-mapped model's are read-only)."""
        xp = array_module(params)
        for name, value in self._state_arrays():
            value = xp.asarray(value) if xp is not np else to_host(value)
            if xp is np and not value.flags.writeable:
                value = value.copy()
            setattr(self, name, value)
        self.params = params

    def _zeros(self):
        return array_module(self.params).zeros_like(self.params)


class SGD(BaseOptimizer):
    """Stochastic gradient descent with (Nesterov) momentum, as scikit-learn's MLP.

    With velocity ``v`` (initially 0), momentum ``mu`` and learning rate ``lr``, each step is
    ``v = mu * v - lr * g``, then ``params += mu * v - lr * g`` with Nesterov's momentum or
    ``params += v`` without.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Floating-point parameters, updated in place by :meth:`step`.

    learning_rate_init : float, default=1e-3
        The initial learning rate, > 0.

    momentum : float, default=0.9
        Momentum, in [0, 1].

    nesterov : bool, default=True
        Whether to use Nesterov's momentum.

    schedule : ConstantSchedule, default=None
        How the learning rate changes from epoch to epoch; ``None`` keeps it constant.

    Attributes
    ----------
    velocity : ndarray of shape (n_params,)
        The momentum buffer.

    t : int
        Number of steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.array([1.0])
    >>> optimizer = SGD(params, learning_rate_init=0.1, momentum=0.0)
    >>> optimizer.step(np.array([2.0]))
    >>> params
    array([0.8])
    """

    def __init__(
        self, params, learning_rate_init=1e-3, momentum=0.9, nesterov=True, schedule=None
    ):
        super().__init__(params, learning_rate_init, schedule)
        # Python floats keep float32 arithmetic in float32 (NumPy scalars would promote it).
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.velocity = self._zeros()

    def _update(self, grads, learning_rate):
        self.velocity *= self.momentum
        self.velocity -= learning_rate * grads
        if self.nesterov:
            self.params += self.momentum * self.velocity - learning_rate * grads
        else:
            self.params += self.velocity


class Adam(BaseOptimizer):
    """Adam (Kingma & Ba, 2015), with bias correction folded into the step size as scikit-learn.

    With moments ``m``, ``v`` (initially 0) and step number ``t`` (from 1)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        params -= lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Floating-point parameters, updated in place by :meth:`step`.

    learning_rate_init : float, default=1e-3
        The initial learning rate, > 0.

    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Added to the denominator for numerical stability, > 0.

    schedule : ConstantSchedule, default=None
        How the learning rate changes from epoch to epoch; ``None`` keeps it constant.

    Attributes
    ----------
    first_moment, second_moment : ndarray of shape (n_params,)
        Running averages of the gradient and of its square.

    t : int
        Number of steps taken.

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: A method for stochastic optimization. ICLR.
    :arxiv:`1412.6980`
    """

    def __init__(
        self,
        params,
        learning_rate_init=1e-3,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        schedule=None,
    ):
        super().__init__(params, learning_rate_init, schedule)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.first_moment = self._zeros()
        self.second_moment = self._zeros()

    def _update(self, grads, learning_rate):
        self.first_moment *= self.beta_1
        self.first_moment += (1 - self.beta_1) * grads
        self.second_moment *= self.beta_2
        self.second_moment += (1 - self.beta_2) * grads * grads
        step_size = learning_rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        self.params -= step_size * self.first_moment / (self.second_moment**0.5 + self.epsilon)


class RMSprop(BaseOptimizer):
    """RMSprop (Tieleman & Hinton, 2012) with optional momentum, as Keras.

    With mean square ``s`` and velocity ``v`` (both initially 0)::

        s = rho * s + (1 - rho) * g ** 2
        increment = lr * g / sqrt(s + epsilon)
        v = momentum * v + increment
        params -= v

    Note that, as in Keras, ``epsilon`` is added under the square root.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Floating-point parameters, updated in place by :meth:`step`.

    learning_rate_init : float, default=1e-3
        The initial learning rate, > 0.

    rho : float, default=0.9
        Decay rate of the mean square, in [0, 1).

    epsilon : float, default=1e-7
        Added to the mean square for numerical stability, > 0.

    momentum : float, default=0.0
        Momentum, in [0, 1]; 0 updates with ``increment`` directly.

    schedule : ConstantSchedule, default=None
        How the learning rate changes from epoch to epoch; ``None`` keeps it constant.

    Attributes
    ----------
    mean_square : ndarray of shape (n_params,)
        Running average of the squared gradient.

    velocity : ndarray of shape (n_params,) or None
        The momentum buffer; None when ``momentum`` is 0.

    t : int
        Number of steps taken.
    """

    def __init__(
        self,
        params,
        learning_rate_init=1e-3,
        rho=0.9,
        epsilon=1e-7,
        momentum=0.0,
        schedule=None,
    ):
        super().__init__(params, learning_rate_init, schedule)
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.mean_square = self._zeros()
        self.velocity = self._zeros() if self.momentum > 0 else None

    def _update(self, grads, learning_rate):
        self.mean_square *= self.rho
        self.mean_square += (1 - self.rho) * grads * grads
        increment = learning_rate * grads / (self.mean_square + self.epsilon) ** 0.5
        if self.velocity is None:
            self.params -= increment
        else:
            self.velocity *= self.momentum
            self.velocity += increment
            self.params -= self.velocity


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


class WeightAverage:
    """Exponential moving average of the parameters over optimizer steps (Polyak averaging;
    Keras' ``use_ema``, TensorFlow's ``ExponentialMovingAverage(num_updates=...)``).

    After step t the average moves towards the parameters with momentum
    ``min(momentum, (1 + t) / (10 + t))``: at first it follows the latest weights closely,
    so that a short run is not pulled back towards its starting point.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        The parameters to average (NumPy or CuPy); the average starts as a copy.

    momentum : float
        In [0, 1): the weight of the previous average at each step; 0 keeps the latest
        parameters.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> average = WeightAverage(params, momentum=0.5)
    >>> params += 1.0
    >>> average.update(params)
    >>> average.average.tolist()  # t = 1: momentum min(0.5, 2 / 11)
    [0.8181818181818181, 0.8181818181818181]
    """

    def __init__(self, params, momentum):
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}.")
        self.momentum = float(momentum)  # a Python float, as SGD's (see there)
        self.average = params.copy()
        self.t = 0

    def update(self, params):
        """Move the average towards ``params`` after one more optimizer step."""
        self.t += 1
        momentum = min(self.momentum, (1 + self.t) / (10 + self.t))
        self.average *= momentum
        self.average += (1 - momentum) * params


def make_optimizer(name, params, learning_rate_init, **options):
    """Build an optimizer from its name.

    Parameters
    ----------
    name : {"sgd", "adam", "rmsprop"}
        Which optimizer: :class:`SGD`, :class:`Adam` or :class:`RMSprop`.

    params : ndarray of shape (n_params,)
        Floating-point parameters, updated in place by the optimizer's ``step``.

    learning_rate_init : float
        The initial learning rate, > 0.

    **options
        Further keyword arguments of that optimizer's class, e.g. ``momentum`` or
        ``schedule``.

    Returns
    -------
    optimizer : BaseOptimizer

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(3, dtype=np.float32)
    >>> optimizer = make_optimizer(
    ...     "sgd", params, 0.1, schedule=make_schedule("invscaling", 0.1), nesterov=False
    ... )
    >>> optimizer.on_epoch_end(epoch=1, loss=0.5, n_samples_seen=99)
    False
    >>> round(optimizer.learning_rate, 6)
    0.01
    """
    return _lookup(_OPTIMIZERS, name, "optimizer")(params, learning_rate_init, **options)


def _lookup(table, name, kind):
    """``table[name]``, or a ValueError that lists the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(key) for key in sorted(table))
        raise ValueError(f"Unknown {kind} name={name!r}; expected one of {valid}.") from None


def _check_params(params):
    """Raise unless ``params`` is a 1-D floating-point array the optimizer can update in place."""
    if not hasattr(params, "dtype") or not hasattr(params, "ndim"):
        raise TypeError(f"params must be a 1-D floating-point array, got {type(params).__name__}.")
    if params.dtype.kind != "f":
        raise TypeError(f"params must have a floating-point dtype, got {params.dtype}.")
    if params.ndim != 1:
        raise ValueError(f"params must be 1-D (one flat vector), got shape {params.shape}.")
