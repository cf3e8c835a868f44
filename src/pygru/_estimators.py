"""scikit-learn estimators: GRUClassifier and GRURegressor.

The estimators are thin: input checking (``_sequences``), the training loop, and the
scikit-learn API. The model is a ``GRUNetwork`` (``_network``), the updates come from
``_optimizers`` and the loss from ``_losses``. Parameter names and fitted attributes follow
``sklearn.neural_network.MLPClassifier``; layer options follow Keras' ``GRU``.
"""
import copy
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import (_check_sample_weight, check_is_fitted, column_or_1d)

from pygru import _losses, _sequences
from pygru._arrays import device_module, to_host
from pygru._network import INITIALIZERS, GRUNetwork
from pygru._optimizers import clip_gradients, make_optimizer, make_schedule

_PREDICT_BATCH = 512  # sequences per forward pass when predicting
# patch_size="auto": sequences up to _AUTO_PATCH_FROM steps are read step by step; longer
# ones in patches that make the longest training sequence _AUTO_PATCH_STEPS GRU steps.
_AUTO_PATCH_FROM = 64
_AUTO_PATCH_STEPS = 32
_AUTO_MIN_UPDATES = 500  # n_iter_no_change="auto": patience of at least this many updates


class BaseGRU(BaseEstimator, metaclass=ABCMeta):
    """Shared parameters, training loop and prediction of the GRU estimators."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "reset_after": ["boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [StrOptions({"sgd", "adam", "rmsprop"})],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "exponential"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "decay_rate": [Interval(Real, 0, 1, closed="right")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
        "clipvalue": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, callable, None],
        "kernel_initializer": [StrOptions(set(INITIALIZERS))],
        "recurrent_initializer": [StrOptions(set(INITIALIZERS))],
        "bias_initializer": [StrOptions(set(INITIALIZERS))],
        "standardize": ["boolean"],
        "patch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    @abstractmethod
    def __init__(self, hidden_layer_sizes=(64,), *, bidirectional=False, reset_after=True,
                 embedding_dim=None, solver="adam", learning_rate="constant",
                 learning_rate_init=1e-3, power_t=0.5, decay_rate=0.96, momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9,
                 batch_size=16, max_iter=300, shuffle=True, random_state=None, tol=1e-4,
                 alpha=1e-4, dropout=0.0, recurrent_dropout=0.0, clipnorm=None,
                 clipvalue=None, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change="auto", warm_start=False, verbose=False, callbacks=None,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", standardize=True, patch_size="auto", device="cpu",
                 dtype="float32"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.bidirectional = bidirectional
        self.reset_after = reset_after
        self.embedding_dim = embedding_dim
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay_rate = decay_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.alpha = alpha
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.standardize = standardize
        self.patch_size = patch_size
        self.device = device
        self.dtype = dtype

    # ------------------------------------------------------------------ what subclasses add
    @abstractmethod
    def _prepare_targets(self, y, lengths, first_call, classes=None):
        """Targets in the form the loss reads, fitting label/shape metadata on first call."""

    @abstractmethod
    def _loss(self, output, targets, sample_weight, lengths):
        """(loss, d_output) for a batch."""

    @abstractmethod
    def _validation_score(self, X, lengths, targets):
        """Score on held-out data (higher is better)."""

    @abstractmethod
    def _n_outputs(self):
        """Width of the network's output layer."""

    @abstractmethod
    def _stratify(self, targets):
        """Labels to stratify the validation split on, or None."""

    # ------------------------------------------------------------------ input checking
    def _check_settings(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu" \
                or np.any(sizes < 1):
            raise ValueError("hidden_layer_sizes must be a positive int or a non-empty "
                             f"sequence of positive ints, got {self.hidden_layer_sizes!r}")
        if self.patch_size not in (None, "auto", 1) and (
                self.embedding_dim is not None or getattr(self, "output", "last") == "sequence"):
            raise ValueError(f"patch_size={self.patch_size!r} needs numeric input and one "
                             "prediction per sequence (not embedding_dim or output='sequence')")
        return tuple(int(size) for size in sizes)

    def _validate_sequences(self, X, reset):
        """(network input, lengths) for X, checked against what fit saw when ``reset`` is
        False; numeric input is standardised and cut into patches as fitted."""
        if self.embedding_dim is not None:
            ids, lengths = _sequences.to_padded_tokens(X)
            if reset:
                self.vocabulary_size_ = int(ids.max()) + 1
            elif ids.max() >= self.vocabulary_size_:
                raise ValueError(f"X contains token id {ids.max()}, but the model was fitted "
                                 f"with ids 0..{self.vocabulary_size_ - 1}")
            return ids, lengths
        padded, lengths = _sequences.to_padded(X, dtype=self.dtype)
        features = padded.shape[2]
        if reset:
            self.n_features_in_ = features
            self._fit_input_transform(padded, lengths)
        elif features != self.n_features_in_:
            raise ValueError(f"X has {features} features per time step, but "
                             f"{type(self).__name__} is expecting {self.n_features_in_} "
                             "features as input")
        if hasattr(self, "input_mean_"):
            padded = _sequences.standardize(padded, lengths, self.input_mean_,
                                            self.input_scale_)
        return _sequences.to_patches(padded, lengths, getattr(self, "patch_size_", 1))

    def _fit_input_transform(self, padded, lengths):
        """Learn the standardisation statistics and the patch size from the training data."""
        for attribute in ("input_mean_", "input_scale_"):
            if hasattr(self, attribute):
                delattr(self, attribute)
        if self.standardize:
            self.input_mean_, self.input_scale_ = _sequences.feature_statistics(padded, lengths)
        self.patch_size_ = self._resolve_patch_size(int(lengths.max()))

    def _resolve_patch_size(self, longest):
        if self.patch_size is None or getattr(self, "output", "last") == "sequence":
            return 1
        if self.patch_size == "auto":
            return 1 if longest <= _AUTO_PATCH_FROM else -(-longest // _AUTO_PATCH_STEPS)
        return self.patch_size

    def _check_sample_weight(self, sample_weight, n_samples):
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, np.empty(n_samples), dtype=np.float64,
                                    ensure_non_negative=True)

    # ------------------------------------------------------------------ training
    def _initialize(self, hidden_layer_sizes, rng):
        n_inputs = self.vocabulary_size_ if self.embedding_dim is not None \
            else self.n_features_in_ * self.patch_size_
        self.network_ = GRUNetwork(n_inputs, hidden_layer_sizes, self._n_outputs(),
                                   bidirectional=self.bidirectional,
                                   reset_after=self.reset_after,
                                   embedding_dim=self.embedding_dim,
                                   output=getattr(self, "output", "last"), dtype=self.dtype)
        self.network_.initialize(rng, self.kernel_initializer, self.recurrent_initializer,
                                 self.bias_initializer)
        self._weight_mask = self.network_.weight_mask()
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement_count = 0

    def _patience(self, n_samples):
        """Epochs without improvement before stopping: ``n_iter_no_change``, or for "auto"
        at least 10 epochs and at least 500 optimizer updates, so that small data sets (a
        few updates per epoch) are not stopped on the plateau a GRU starts with."""
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        updates_per_epoch = -(-n_samples // self._batch_size(n_samples))
        return max(10, -(-_AUTO_MIN_UPDATES // updates_per_epoch))

    def _make_optimizer(self, patience):
        schedule = make_schedule(self.learning_rate, self.learning_rate_init,
                                 power_t=self.power_t, decay_rate=self.decay_rate,
                                 tol=self.tol, n_iter_no_change=patience)
        options = {
            "sgd": dict(momentum=self.momentum, nesterov=self.nesterovs_momentum),
            "adam": dict(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon),
            "rmsprop": dict(rho=self.rho, epsilon=self.epsilon),
        }[self.solver]
        return make_optimizer(self.solver, self.network_.params, self.learning_rate_init,
                              schedule=schedule, **options)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        hidden_layer_sizes = self._check_settings()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        first_call = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        if not first_call and tuple(self.network_.hidden_layer_sizes) != hidden_layer_sizes:
            raise ValueError("hidden_layer_sizes changed since the model was fitted "
                             f"({self.network_.hidden_layer_sizes} -> {hidden_layer_sizes}); "
                             "refit without warm_start")
        X, lengths = self._validate_sequences(X, reset=first_call)
        targets = self._prepare_targets(y, lengths, first_call, classes)
        sample_weight = self._sample_weight(self._check_sample_weight(sample_weight, len(X)),
                                            targets)
        if first_call:
            self._rng = _make_rng(self.random_state)
            self._initialize(hidden_layer_sizes, self._rng)
        xp = self._use_device(training=True)
        if self.early_stopping and not incremental:
            train, valid = train_test_split(
                np.arange(len(X)), test_size=self.validation_fraction,
                random_state=self._rng.integers(2**31), stratify=self._stratify(targets))
            validation = (X[valid], lengths[valid], targets[valid])
            X, lengths, targets = X[train], lengths[train], targets[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
        else:
            validation = None
        patience = self._patience(len(X))
        if first_call or not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(patience)
        epochs = 1 if incremental else self.max_iter
        # The training data crosses to the device once; lengths stay on the host.
        X, targets = xp.asarray(X), xp.asarray(targets)
        sample_weight = None if sample_weight is None else xp.asarray(sample_weight)
        self._train(X, lengths, targets, sample_weight, epochs, validation, patience)
        return self

    def _sample_weight(self, sample_weight, targets):
        return sample_weight

    def _use_device(self, training):
        """Put the network (and optimizer state) on ``device``; return its array module.

        For prediction, a device that is not available here leaves the parameters where they
        are, so that a model trained on a GPU predicts on a machine without one."""
        try:
            xp = device_module(self.device)
        except ValueError:
            if training:
                raise
            return self.network_.xp
        if xp is not self.network_.xp:
            self.network_.move_to(xp)
            self._weight_mask = xp.asarray(self._weight_mask) if xp is not np \
                else to_host(self._weight_mask)
            if hasattr(self, "_optimizer"):
                self._optimizer.move_to(self.network_.params)
        return xp

    def _mask_rng(self, xp):
        """Random numbers for dropout masks, made where the network is: the estimator's own
        Generator on the CPU; on the GPU a CuPy Generator seeded from its state (through a
        jumped copy, so the Generator itself does not advance and shuffling is the same on
        both; a model loaded from a file continues the same way)."""
        if xp is np:
            return self._rng
        return xp.random.default_rng(int(self._rng.bit_generator.jumped().random_raw()))

    def __getstate__(self):
        # Pickles hold NumPy arrays only: a model trained on a GPU loads without CuPy.
        state = dict(super().__getstate__())  # for Python >= 3.11 that is our own __dict__
        network = state.get("network_")
        if network is not None and network.xp is not np:
            state["network_"] = copy.copy(network)  # GRUNetwork copies itself to the host
            state["_weight_mask"] = to_host(self._weight_mask)
            if "_optimizer" in state:
                state["_optimizer"] = copy.copy(self._optimizer)
                state["_optimizer"].move_to(state["network_"].params)
        return state

    def _train(self, X, lengths, targets, sample_weight, epochs, validation, patience):
        batch_size = self._batch_size(len(X))
        mask_rng = self._mask_rng(self.network_.xp)
        callbacks = _as_callback_list(self.callbacks)
        best_params = last_good_params = self.network_.params.copy()
        stopped_by = "max_iter"
        progress = _progress_bar(epochs, self.verbose)
        try:
            for _ in range(epochs):
                start = time.perf_counter()
                loss = self._run_epoch(X, lengths, targets, sample_weight, batch_size,
                                       mask_rng)
                if not np.isfinite(loss):
                    self.network_.params[...] = last_good_params
                    warnings.warn(
                        f"Training diverged: the loss became {loss} in epoch "
                        f"{self.n_iter_ + 1}. Stopped and kept the weights of the last "
                        "completed epoch; try a smaller learning_rate_init, clipnorm, or "
                        "scaling the input.", ConvergenceWarning)
                    stopped_by = "divergence"
                    break
                last_good_params = self.network_.params.copy()
                self.n_iter_ += 1
                self.t_ += len(X)
                self.loss_curve_.append(loss)
                record = {"epoch": self.n_iter_, "loss": loss, "validation_score": None,
                          "learning_rate": self._optimizer.learning_rate}
                if validation is not None:
                    score = self._validation_score(*validation)
                    self.validation_scores_.append(score)
                    record["validation_score"] = score
                    self._update_no_improvement(-score, -self.best_validation_score_)
                    if score > self.best_validation_score_:
                        self.best_validation_score_ = score
                        best_params = last_good_params
                else:
                    self._update_no_improvement(loss, self.best_loss_)
                    self.best_loss_ = min(self.best_loss_, loss)
                record["duration"] = time.perf_counter() - start
                progress.update(1)
                progress.set_postfix(_postfix(record), refresh=False)
                schedule_stop = self._optimizer.on_epoch_end(
                    self.n_iter_, loss if validation is None else -score, self.t_)
                if any([callback(self, record) is True for callback in callbacks]):
                    stopped_by = "callback"
                    break
                if self.learning_rate == "adaptive" and schedule_stop:
                    stopped_by = "adaptive"
                    break
                if self.learning_rate != "adaptive" and epochs > 1 \
                        and self._no_improvement_count >= patience:
                    stopped_by = "no_improvement"
                    break
        except KeyboardInterrupt:
            self.network_.params[...] = last_good_params
            warnings.warn(f"fit interrupted after {self.n_iter_} epochs; the model keeps the "
                          "weights of the last completed epoch", UserWarning)
            stopped_by = "interrupt"
        finally:
            progress.close()
        if validation is not None and self.validation_scores_:
            self.network_.params[...] = best_params
        if stopped_by == "max_iter" and epochs > 1:
            warnings.warn(f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning)

    def _update_no_improvement(self, value, best):
        """MLP's rule: count epochs that fail to beat ``best`` (lower is better) by tol."""
        if value > best - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _run_epoch(self, X, lengths, targets, sample_weight, batch_size, mask_rng):
        xp = self.network_.xp
        order = self._rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
        device_order = xp.asarray(order)  # one small copy per epoch on the GPU
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = device_order[start:start + batch_size]
            batch_lengths = lengths[order[start:start + batch_size]]
            # Batches are cut to their own longest sequence: padding is never computed.
            batch_X = X[batch][:, :batch_lengths.max()]
            batch_targets = targets[batch]
            if batch_targets.ndim == 3:
                batch_targets = batch_targets[:, :batch_lengths.max()]
            weights = None if sample_weight is None else sample_weight[batch]
            output, cache = self.network_.forward(batch_X, batch_lengths,
                                                  dropout=self.dropout,
                                                  recurrent_dropout=self.recurrent_dropout,
                                                  rng=mask_rng)
            loss, d_output = self._loss(output, batch_targets, weights, batch_lengths)
            if not np.isfinite(loss):
                return loss
            grad = self.network_.backward(d_output.astype(self.dtype, copy=False), cache)
            loss += self._add_l2_penalty(grad, len(batch))
            if not (np.isfinite(loss) and xp.isfinite(grad).all()):
                return np.inf if np.isfinite(loss) else loss
            clip_gradients(grad, self.clipnorm, self.clipvalue)
            self._optimizer.step(grad)
            if not xp.isfinite(self.network_.params).all():
                return np.inf
            total += loss * len(batch)
        return total / len(X)

    def _add_l2_penalty(self, grad, n_samples):
        """Add MLP's L2 term alpha/2 * ||W||^2 / n to the gradient; return it for the loss."""
        if self.alpha == 0:
            return 0.0
        weights = self.network_.params * self._weight_mask
        grad += (self.alpha / n_samples) * weights
        # A sum, not weights @ weights: a BLAS dot can depend on the thread count.
        return 0.5 * self.alpha * float((weights * weights).sum()) / n_samples

    # ------------------------------------------------------------------ prediction
    def _forward_all(self, X, lengths):
        """Network output (NumPy) for all sequences (NumPy), in batches of similar cost; on
        the GPU each batch crosses the bus once each way."""
        xp = self.network_.xp
        outputs = []
        for start in range(0, len(X), _PREDICT_BATCH):
            batch_lengths = lengths[start:start + _PREDICT_BATCH]
            batch_X = X[start:start + _PREDICT_BATCH][:, :batch_lengths.max()]
            output, _ = self.network_.forward(xp.asarray(batch_X), batch_lengths,
                                              keep_cache=False)
            outputs.append(to_host(output))
        if outputs[0].ndim == 3:
            steps = X.shape[1]
            outputs = [np.pad(o, ((0, 0), (0, steps - o.shape[1]), (0, 0))) for o in outputs]
        return np.concatenate(outputs, axis=0)

    def _predict_network(self, X):
        check_is_fitted(self, "network_")
        X, lengths = self._validate_sequences(X, reset=False)
        self._use_device(training=False)
        return self._forward_all(X, lengths), lengths

    def gate_activations(self, X):
        """Gate values over time for inspection and plots.

        Returns
        -------
        activations : list of dict
            One entry per GRU layer, mapping each direction ("forward", and "backward" for a
            bidirectional layer) to a dict with keys "r" (reset gate), "z" (update gate),
            "n" (candidate state) and "h" (hidden state), each an array of shape
            (n_samples, n_timesteps, hidden_size), NaN past each sequence's length. With
            ``patch_size_ > 1`` a time step is a patch: n_timesteps = ceil(T / patch_size_).
        """
        check_is_fitted(self, "network_")
        X, lengths = self._validate_sequences(X, reset=False)
        xp = self._use_device(training=False)
        return self.network_.gate_activations(xp.asarray(X), lengths)

    @property
    def coefs_(self):
        """Weight matrices, input to output: views into the flat parameter vector (NumPy
        copies when the network is on the GPU)."""
        check_is_fitted(self, "network_")
        return [to_host(v) for name, v in self.network_.views.items()
                if not name.endswith(("b_ih", "b_hh", "bias"))]

    @property
    def intercepts_(self):
        """Bias vectors, input to output: views into the flat parameter vector (NumPy
        copies when the network is on the GPU)."""
        check_is_fitted(self, "network_")
        return [to_host(v) for name, v in self.network_.views.items()
                if name.endswith(("b_ih", "b_hh", "bias"))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # NaN is accepted only as trailing padding, so the estimators do not "allow NaN".
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags


class GRUClassifier(ClassifierMixin, BaseGRU):
    """Sequence classifier: GRU layers, then softmax on each sequence's final state.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Hidden units of each stacked GRU layer.
    bidirectional : bool, default=False
        Read each sequence forwards and backwards (within its own length) and concatenate.
    reset_after : bool, default=True
        GRU variant: True as PyTorch/cuDNN/Keras 2+, False as Cho et al. (2014).
    embedding_dim : int, default=None
        If set, X holds integer token ids (0 = padding) read through an embedding layer of
        this size; the vocabulary size is taken from the training data.
    solver : {"adam", "sgd", "rmsprop"}, default="adam"
    learning_rate : {"constant", "invscaling", "adaptive", "exponential"}, default="constant"
        Learning-rate schedule over epochs (as MLPClassifier; "exponential" multiplies by
        ``decay_rate`` each epoch).
    learning_rate_init : float, default=3e-3
        (1e-3 for :class:`GRURegressor`, where 3e-3 overfitted small forecasting sets.)
    power_t, decay_rate : float
        Parameters of the "invscaling" and "exponential" schedules.
    momentum, nesterovs_momentum : float, bool
        SGD momentum and whether to use Nesterov's.
    beta_1, beta_2, epsilon : float
        Adam parameters (epsilon also RMSprop's).
    rho : float, default=0.9
        RMSprop decay.
    batch_size : int or "auto", default=16
        Sequences per update ("auto": min(200, n_samples), as MLPClassifier).
    max_iter : int, default=300
        Maximum number of epochs.
    shuffle : bool, default=True
    random_state : int, RandomState instance or None
        Seeds initialisation, shuffling, dropout and the validation split; the same seed
        gives bit-identical results on the CPU.
    tol : float, default=1e-4
    alpha : float, default=1e-4
        L2 penalty on all weights (not biases), as MLPClassifier.
    dropout : float, default=0.0
        Fraction of each GRU layer's input features dropped in training, one mask per
        sequence shared by all its time steps (Keras semantics).
    recurrent_dropout : float, default=0.0
        Fraction of the recurrent state's units dropped in training where h_{t-1} meets the
        recurrent weights, one mask per sequence (Gal & Ghahramani 2016; Keras semantics,
        one mask shared by the three gates).
    clipnorm, clipvalue : float, default=None
        Clip the gradient's global L2 norm / each of its entries.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when its accuracy
        stops improving for ``n_iter_no_change`` epochs, and keep the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int or "auto", default="auto"
        Stop when the training loss (or, with early stopping, the validation score) has not
        improved by ``tol`` for this many epochs. "auto" counts optimizer updates rather than
        epochs: max(10, ceil(500 / updates per epoch)) epochs, i.e. 10 epochs on large data
        and up to 500 epochs' worth of patience on a few dozen sequences, where a GRU first
        sits on a plateau at chance level for hundreds of updates (benchmarks/README.md).
    warm_start : bool, default=False
        Continue from the current weights when ``fit`` is called again.
    verbose : bool, default=False
        Show a tqdm progress bar with the loss (and validation score) of each epoch.
    callbacks : callable or list of callables, default=None
        Called after each epoch as ``callback(estimator, record)``, with ``record`` a dict of
        epoch, loss, validation_score, learning_rate and duration; returning True stops.
    kernel_initializer, recurrent_initializer, bias_initializer : str
        "glorot_uniform" (default for input kernels), "orthogonal" (default for recurrent
        kernels, one orthogonal block per gate), "zeros" (default for biases),
        "glorot_normal" or "uniform" (PyTorch's U(-1/sqrt(H), 1/sqrt(H))).
    standardize : bool, default=True
        Scale each input feature to zero mean and unit variance with the mean and standard
        deviation of all training time steps (padding excluded; stored as ``input_mean_``,
        ``input_scale_`` and applied in predict). Ignored with ``embedding_dim``. Unscaled
        features (e.g. accelerometer channels with a spread of 5) saturate the gates.
    patch_size : int, "auto" or None, default="auto"
        Feed runs of ``patch_size`` consecutive time steps to the GRU as one step of
        ``patch_size * n_features`` inputs (the last step of a sequence is repeated to fill
        its final patch); None or 1: one GRU step per time step. "auto" reads sequences of
        up to 64 steps step by step, and longer ones in patches of ceil(longest training
        sequence / 32) steps. Long sequences (hundreds of steps) train far better, more
        reliably and several times faster this way: the first layer's input weights act as
        a strided convolution, and gradients cross 32 steps instead of hundreds
        (benchmarks/README.md). Time steps of ``gate_activations`` are then patches, and
        exported weights (``pygru.to_torch_state_dict``) read patches. Only for numeric
        input and one output per sequence; "auto" means 1 with ``output="sequence"``.
    class_weight : dict, "balanced" or None
        Weights of the classes in the loss.
    device : {"cpu", "auto", "cuda"}, default="cpu"
        Where to train and predict. "cuda": on the current CUDA device through CuPy
        (``pip install 'pygru[gpu]'``), with parameters, optimizer state and the training
        data on the device (a ValueError says what is missing when CuPy or a device is not
        there); "auto": the GPU when CuPy sees one, else the CPU. Fitted models pickle and
        save with NumPy parameters and predict on the CPU where no GPU is available. Only
        the CPU is bit-for-bit reproducible.
    dtype : {"float32", "float64"}, default="float32"

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
        Features per time step (absent with ``embedding_dim``).
    input_mean_, input_scale_ : ndarray of shape (n_features_in_,)
        Standardisation statistics (with ``standardize=True`` and numeric input).
    patch_size_ : int
        Time steps per GRU step (1 unless ``patch_size`` is set; numeric input only).
    vocabulary_size_ : int
        Number of token ids (with ``embedding_dim``).
    network_ : GRUNetwork
        The fitted network; all parameters in ``network_.params``.
    coefs_, intercepts_ : list of ndarray
        Weights and biases, views into ``network_.params``.
    loss_curve_ : list of float
        Training loss of each epoch.
    validation_scores_ : list of float or None
        Validation accuracy of each epoch (with early stopping).
    best_validation_score_ : float or None
    best_loss_ : float
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    >>> clf.fit(X_train, y_train).score(X_test, y_test) > 0.8
    True
    """

    _parameter_constraints = {
        **BaseGRU._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, hidden_layer_sizes=(64,), *, bidirectional=False, reset_after=True,
                 embedding_dim=None, solver="adam", learning_rate="constant",
                 learning_rate_init=3e-3, power_t=0.5, decay_rate=0.96, momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9,
                 batch_size=16, max_iter=300, shuffle=True, random_state=None, tol=1e-4,
                 alpha=1e-4, dropout=0.0, recurrent_dropout=0.0, clipnorm=None,
                 clipvalue=None, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change="auto", warm_start=False, verbose=False, callbacks=None,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", standardize=True, patch_size="auto",
                 class_weight=None, device="cpu", dtype="float32"):
        super().__init__(
            hidden_layer_sizes, bidirectional=bidirectional, reset_after=reset_after,
            embedding_dim=embedding_dim, solver=solver, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, decay_rate=decay_rate,
            momentum=momentum, nesterovs_momentum=nesterovs_momentum, beta_1=beta_1,
            beta_2=beta_2, epsilon=epsilon, rho=rho, batch_size=batch_size,
            max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
            alpha=alpha, dropout=dropout, recurrent_dropout=recurrent_dropout,
            clipnorm=clipnorm, clipvalue=clipvalue, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            warm_start=warm_start, verbose=verbose, callbacks=callbacks,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            standardize=standardize, patch_size=patch_size, device=device, dtype=dtype)
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and labels y for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array of shape (n, T, F) or (n, T), or list of (T_i, F) / (T_i,) arrays
            Sequences; trailing all-NaN time steps are padding. With ``embedding_dim``,
            integer token ids with trailing zeros as padding.
        y : array-like of shape (n,)
        sample_weight : array-like of shape (n,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), keeping the weights and optimizer state between calls.

        ``classes`` (all labels that will ever appear) is required on the first call.
        """
        first_call = not hasattr(self, "network_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, sample_weight, incremental=True,
                         classes=classes if first_call else None)

    def _prepare_targets(self, y, lengths, first_call, classes=None):
        y = column_or_1d(y, warn=True)
        if len(y) != len(lengths):
            raise ValueError(f"X has {len(lengths)} sequences but y has {len(y)} labels")
        check_classification_targets(y)
        if first_call:
            self._label_encoder = LabelEncoder().fit(classes if classes is not None else y)
            self.classes_ = self._label_encoder.classes_
            if len(self.classes_) < 2 and classes is None:
                raise ValueError("GRUClassifier needs samples of at least 2 classes in the "
                                 f"data, but the data contains only one class: "
                                 f"{self.classes_[0]!r}")
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels not seen in the first fit: {unknown[:5]}; "
                             f"known classes are {self.classes_}")
        return self._label_encoder.transform(y)

    def _sample_weight(self, sample_weight, targets):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(self.class_weight, self.classes_[targets])
        return weights if sample_weight is None else weights * sample_weight

    def _n_outputs(self):
        return len(self.classes_)

    def _stratify(self, targets):
        """Stratify the validation split when every class can appear on both sides."""
        counts = np.bincount(targets)
        n_validation = int(np.ceil(self.validation_fraction * len(targets)))
        n_classes = np.count_nonzero(counts)
        if counts[counts > 0].min() >= 2 and n_classes <= min(n_validation,
                                                              len(targets) - n_validation):
            return targets
        return None

    def _loss(self, output, targets, sample_weight, lengths):
        return _losses.cross_entropy(output, targets, sample_weight)

    def _validation_score(self, X, lengths, targets):
        return accuracy_score(targets, self._forward_all(X, lengths).argmax(axis=1))

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        logits, _ = self._predict_network(X)
        return _losses.softmax(logits)

    def predict_log_proba(self, X):
        """Log of ``predict_proba``, computed stably."""
        logits, _ = self._predict_network(X)
        return _losses.log_softmax(logits)

    def predict(self, X):
        """Most probable class of each sequence."""
        logits, _ = self._predict_network(X)
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class GRURegressor(RegressorMixin, BaseGRU):
    """Sequence regressor: GRU layers, then a linear output per sequence or per time step.

    ``output="last"`` (many-to-one) predicts y of shape (n,) or (n, k) from each sequence's
    final state; ``output="sequence"`` (many-to-many) predicts one row of targets per time
    step, y of shape (n, T) / (n, T, k) (trailing NaN as padding) or a list of (T_i,) /
    (T_i, k) arrays matching X's lengths. The loss is half the mean squared error (targets
    are not scaled: wrap the regressor in ``sklearn.compose.TransformedTargetRegressor`` for
    targets far from unit scale); all other parameters and attributes are those of
    :class:`GRUClassifier`, with ``learning_rate_init=1e-3`` (without ``class_weight``
    and ``classes_``); early stopping uses R² on the held-out part.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRURegressor
    >>> from pygru.datasets import load_airline, make_windows
    >>> series = np.log(load_airline().data)
    >>> X, y = make_windows((series - series.mean()) / series.std(), lookback=12)
    >>> reg = GRURegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    >>> reg.fit(X[:100], y[:100]).predict(X[100:]).shape
    (32,)
    """

    _parameter_constraints = {
        **BaseGRU._parameter_constraints,
        "output": [StrOptions({"last", "sequence"})],
    }

    def __init__(self, hidden_layer_sizes=(64,), *, output="last", bidirectional=False,
                 reset_after=True, embedding_dim=None, solver="adam",
                 learning_rate="constant", learning_rate_init=1e-3, power_t=0.5,
                 decay_rate=0.96, momentum=0.9, nesterovs_momentum=True, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, rho=0.9, batch_size=16, max_iter=300,
                 shuffle=True, random_state=None, tol=1e-4, alpha=1e-4, dropout=0.0,
                 recurrent_dropout=0.0, clipnorm=None, clipvalue=None, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change="auto", warm_start=False,
                 verbose=False, callbacks=None, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 standardize=True, patch_size="auto", device="cpu", dtype="float32"):
        super().__init__(
            hidden_layer_sizes, bidirectional=bidirectional, reset_after=reset_after,
            embedding_dim=embedding_dim, solver=solver, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, decay_rate=decay_rate,
            momentum=momentum, nesterovs_momentum=nesterovs_momentum, beta_1=beta_1,
            beta_2=beta_2, epsilon=epsilon, rho=rho, batch_size=batch_size,
            max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
            alpha=alpha, dropout=dropout, recurrent_dropout=recurrent_dropout,
            clipnorm=clipnorm, clipvalue=clipvalue, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            warm_start=warm_start, verbose=verbose, callbacks=callbacks,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            standardize=standardize, patch_size=patch_size, device=device, dtype=dtype)
        self.output = output

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and targets y for up to ``max_iter`` epochs.

        See :class:`GRURegressor` for the shapes of y; X as in :meth:`GRUClassifier.fit`.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), keeping the weights and optimizer state between calls."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _prepare_targets(self, y, lengths, first_call, classes=None):
        if self.output == "sequence":
            targets = _sequences.to_padded_targets(y, lengths, dtype=self.dtype)
            y_ndim = 3 if _has_target_axis(y) else 2
        else:
            targets = _real_targets(y, self.dtype)
            if targets.ndim not in (1, 2) or len(targets) != len(lengths):
                raise ValueError(f"y must have shape ({len(lengths)},) or ({len(lengths)}, "
                                 f"n_targets) for output='last', got {targets.shape}")
            if not np.all(np.isfinite(targets)):
                raise ValueError("y contains NaN or infinity")
            y_ndim = targets.ndim
            targets = targets.reshape(len(targets), -1)
        if first_call:
            self._y_ndim = y_ndim
            self.n_outputs_ = targets.shape[-1]
        elif targets.shape[-1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[-1]} targets, the model was fitted "
                             f"with {self.n_outputs_}")
        return targets

    def _n_outputs(self):
        return self.n_outputs_

    def _stratify(self, targets):
        return None

    def _loss(self, output, targets, sample_weight, lengths):
        if self.output == "last":
            return _losses.squared_error(output, targets, sample_weight)
        xp = self.network_.xp
        valid = xp.asarray(_sequences.valid_steps(lengths, output.shape[1]))
        weights = None if sample_weight is None else \
            xp.broadcast_to(sample_weight[:, None], valid.shape)[valid]
        loss, d_valid = _losses.squared_error(output[valid], targets[valid], weights)
        d_output = xp.zeros_like(output)
        d_output[valid] = d_valid
        return loss, d_output

    def _validation_score(self, X, lengths, targets):
        predictions = self._forward_all(X, lengths)
        if self.output == "sequence":
            valid = _sequences.valid_steps(lengths, predictions.shape[1])
            return r2_score(targets[valid], predictions[valid])
        return r2_score(targets, predictions)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predictions: (n,) or (n, k) for output="last"; for output="sequence", (n, T) or
        (n, T, k) with NaN past each sequence's length, or a list when X is a list."""
        predictions, lengths = self._predict_network(X)
        predictions = predictions.astype(np.float64)
        if self.output == "last":
            return predictions.ravel() if self._y_ndim == 1 else predictions
        if self._y_ndim == 2:
            predictions = predictions[..., 0]
        if isinstance(X, (list, tuple)):
            return _sequences.unpad(predictions, lengths)
        padding = ~_sequences.valid_steps(lengths, predictions.shape[1])
        predictions[padding] = np.nan
        return predictions

    def score(self, X, y, sample_weight=None):
        """R² of the predictions; for output="sequence", over all valid time steps."""
        if self.output == "last":
            return super().score(X, y, sample_weight)
        predictions, lengths = self._predict_network(X)
        targets = _sequences.to_padded_targets(y, lengths, dtype=self.dtype)
        valid = _sequences.valid_steps(lengths, predictions.shape[1])
        weights = None if sample_weight is None else \
            np.broadcast_to(np.asarray(sample_weight)[:, None], valid.shape)[valid]
        return r2_score(targets[valid], predictions[valid], sample_weight=weights)


def _real_targets(y, dtype):
    """y as an array of ``dtype``; object arrays of numbers are converted, anything else
    that is not real numbers (strings, complex) is refused."""
    targets = np.asarray(y)
    if targets.dtype.kind == "O":
        try:
            targets = targets.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if targets.dtype.kind not in "biuf":
        raise ValueError(f"Unknown label type: a regressor's y must hold real numbers, got "
                         f"dtype {targets.dtype}")
    return targets.astype(dtype, copy=False)


def _has_target_axis(y):
    """Whether sequence targets carry a last axis of k targets: (n, T, k) or (T_i, k) items."""
    if isinstance(y, (list, tuple)):
        return len(y) > 0 and np.ndim(y[0]) == 2
    return np.ndim(y) == 3


def _make_rng(random_state):
    """A numpy Generator seeded from an int, a RandomState, or fresh entropy for None."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)


def _as_callback_list(callbacks):
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be callables, got {callback!r}")
    return list(callbacks)


class _NoProgress:
    def update(self, n):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _progress_bar(epochs, verbose):
    if not verbose:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=epochs, unit="epoch", desc="fit")


def _postfix(record):
    postfix = {"loss": f"{record['loss']:.4g}"}
    if record["validation_score"] is not None:
        postfix["val"] = f"{record['validation_score']:.4g}"
    return postfix
