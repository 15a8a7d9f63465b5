"""DADH: Deep Adversarial Discrete Hashing for cross-modal retrieval (Zjut-MultimediaPlus/DADH)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing._types import TensorLike
from keras_hashing.layers.dadh_discriminator import DADHDiscriminator
from keras_hashing.layers.sign_ste import sign_codes
from keras_hashing.layers.torch_batch_norm import TorchBatchNormalization
from keras_hashing.layers.torch_dense import TorchDense
from keras_hashing.losses.cross_modal import dadh_quantization_loss
from keras_hashing.losses.cross_modal import dadh_triplet_loss
from keras_hashing.losses.cross_modal import discriminator_loss
from keras_hashing.losses.cross_modal import generator_adversarial_loss
from keras_hashing.losses.cross_modal import gradient_penalty
from keras_hashing.models._cross_modal import modality_outputs
from keras_hashing.models._fit_guard import NonFiniteLossGuard
from keras_hashing.optimizers.torch_adam import torch_adam_update

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


# PyTorch Adam's denominator guard and BatchNorm1d defaults (DADH main.py, models/gen_model.py).
ADAM_EPSILON = 1e-8
BN_MOMENTUM = 0.9  # PyTorch momentum 0.1
BN_EPSILON = 1e-5
GRADIENT_PENALTY_WEIGHT = 10.0


def _mlp(input_dim, hidden_dim, dropout, name, seed):
    """F_I / F_T: three Linear-BN-ReLU[-Dropout 0.5] blocks, hidden -> hidden/2 -> hidden/4."""
    layers = [keras.Input((input_dim,))]
    for i, units in enumerate((hidden_dim, hidden_dim // 2, hidden_dim // 4)):
        layers += [
            TorchDense(units, seed=None if seed is None else seed + 10 * i, name=f"linear_{i}"),
            # PyTorch's BatchNorm1d: its moving variance takes the unbiased batch variance.
            TorchBatchNormalization(
                momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"batch_norm_{i}"
            ),
            keras.layers.ReLU(name=f"relu_{i}"),
        ]
        if dropout:
            layers.append(
                keras.layers.Dropout(
                    0.5, seed=None if seed is None else seed + 10 * i + 5, name=f"dropout_{i}"
                )
            )
    return keras.Sequential(layers, name=name)


def _value_and_grad(loss_fn, values):
    """`((loss, aux), gradients)` of `loss_fn(values)` with the backend's automatic differentiation.

    The one backend-specific function of the package's models (CONTRIBUTING, "Backend boundary"):
    Keras 3 has no public backend-agnostic gradient, and DADH's alternating discriminator and
    generator updates need three gradients per batch. TensorFlow and JAX are supported; the
    modules are looked up at run time, so importing DADH never imports either.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        jax = importlib.import_module("jax")
        return jax.value_and_grad(loss_fn, has_aux=True)(values)
    if backend == "tensorflow":
        tf = importlib.import_module("tensorflow")
        with tf.GradientTape() as tape:
            tape.watch(values)
            loss, aux = loss_fn(values)
        gradients = tape.gradient(loss, values)
        gradients = [ops.zeros_like(v) if g is None else g for v, g in zip(values, gradients)]
        return (loss, aux), gradients
    raise ValueError(f"DADH trains on the tensorflow and jax backends, found {backend!r}.")


@keras.saving.register_keras_serializable(package="keras_hashing")
class DADH(NonFiniteLossGuard, keras.Model):
    """Deep Adversarial Discrete Hashing (Zjut-MultimediaPlus/DADH at HEAD: main.py, `train`).

    Image features (4096-d CNN-F in the original) and text vectors each go through an MLP
    (`hidden_dim -> hidden_dim/2 -> hidden_dim/4` with batch norm) and a tanh hash head. Every
    training batch runs, in `train_step`:

    1. the generator forward pass (image and text modules), writing the outputs of this batch into
       the per-item buffers `H_I`, `H_T`; a second text pass gives `h~_T` (main.py, `train`);
    2. one Adam step of the feature discriminator on `gamma * GAN(f_I real, f_T fake) + 10 GP`;
    3. one Adam step of the hash discriminator on the same with `h_I`, `h_T`;
    4. one Adam step of the generator on
       `alpha (T(h_I->h_T) + T(h_T->h_I)) + beta' (||B - h_I||^2 + ||B - h_T||^2)
        + gamma (-log D_f(f_T) - log D_h(h~_T))`, with the discriminators of steps 2-3.

    The three optimisers are PyTorch's Adam (`keras_hashing.optimizers.torch_adam_update`:
    epsilon after the bias-corrected square root, coupled L2 weight decay), with their moments
    stored as non-trainable weights of the model, so a `.keras` file or `BackupAndRestore`
    checkpoint resumes training exactly. The binary matrix `B` (`codes`) is updated once per
    epoch by `keras_hashing.callbacks.DADHCodeUpdate` and the generator learning rate by
    `DADHLearningRateDecay`.

    Oddities of the original (main.py, `train`; triplet_loss.py), each with the switch that changes
    it: `faithful_constants` (beta' = beta + 0.1 and kappa = beta*gamma + 0.1 in the triplet loss),
    `ndcg_weights="auto"` (NDCG weights only when alpha == 10), `second_text_pass` (h~_T from a
    second pass of the text module, updating its batch-norm statistics twice). The gradient penalty
    interpolates per element, as the original.

    Args:
        image_dim: int, default 4096.
        text_dim: int, default 1386 (MIRFlickr; 1000 for NUS-WIDE).
        num_labels: int, default 24.
        num_train: int, default 10000, the number of training items (rows of `B`, `H_I`, `H_T`).
        code_length: int, default 64.
        hidden_dim: int, default 8192.
        dropout: bool, default False (True for NUS-WIDE).
        alpha, beta, gamma: floats, default 10, 1, 1: triplet, quantization, adversarial weights.
        margin: float, default 0.4.
        lamb: float, default 1, the ridge term of the B-step.
        mu: float, default 1e-5, the weight of the outputs in the B-step.
        learning_rate: float, default 5e-5 (1e-5 for NUS-WIDE).
        generator_weight_decay, discriminator_weight_decay: floats, default 5e-4 and 1e-4.
        ndcg_weights: "auto" (the original rule), True or False.
        faithful_constants: bool, default True.
        second_text_pass: bool, default True.
        seed: optional int for the initialisers, dropout, the interpolation draws and `B`.

    Example:
    >>> model = DADH(image_dim=16, text_dim=12, num_labels=3, num_train=32, code_length=8,
    ...              hidden_dim=32)
    >>> model.compile()
    >>> model.encode_image(np.zeros((2, 16), "float32")).shape
    (2, 8)

    References:
        Bai, Zeng, Ma, Zhang, Chen, "Deep Adversarial Discrete Hashing for Cross-Modal Retrieval",
        ICMR 2020.
    """

    def __init__(
        self,
        image_dim: int = 4096,
        text_dim: int = 1386,
        num_labels: int = 24,
        num_train: int = 10000,
        code_length: int = 64,
        hidden_dim: int = 8192,
        dropout: bool = False,
        alpha: float = 10.0,
        beta: float = 1.0,
        gamma: float = 1.0,
        margin: float = 0.4,
        lamb: float = 1.0,
        mu: float = 1e-5,
        learning_rate: float = 5e-5,
        generator_weight_decay: float = 5e-4,
        discriminator_weight_decay: float = 1e-4,
        ndcg_weights: bool | Literal["auto"] = "auto",
        faithful_constants: bool = True,
        second_text_pass: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("image_dim", image_dim),
            ("text_dim", text_dim),
            ("num_labels", num_labels),
            ("num_train", num_train),
            ("code_length", code_length),
            ("hidden_dim", hidden_dim),
        ):
            validation.positive_int(name, value, "DADH")
        if hidden_dim % 4:
            raise ValueError(f"DADH: `hidden_dim` must be divisible by 4, found {hidden_dim}.")
        validation.one_of("ndcg_weights", ndcg_weights, ("auto", True, False), "DADH")
        validation.positive_number("learning_rate", learning_rate, "DADH")
        self.image_dim, self.text_dim = int(image_dim), int(text_dim)
        self.num_labels, self.num_train = int(num_labels), int(num_train)
        self.code_length, self.hidden_dim = int(code_length), int(hidden_dim)
        self.dropout = bool(dropout)
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.margin, self.lamb, self.mu = float(margin), float(lamb), float(mu)
        self.learning_rate = float(learning_rate)
        self.generator_weight_decay = float(generator_weight_decay)
        self.discriminator_weight_decay = float(discriminator_weight_decay)
        self.ndcg_weights = ndcg_weights
        self.faithful_constants = bool(faithful_constants)
        self.second_text_pass = bool(second_text_pass)
        self.seed = seed

        def sub_seed(offset: int) -> int | None:
            return None if seed is None else int(seed) + offset

        feature_dim = self.hidden_dim // 4
        self.image_module = _mlp(
            self.image_dim, self.hidden_dim, self.dropout, "image_module", sub_seed(100)
        )
        self.text_module = _mlp(
            self.text_dim, self.hidden_dim, self.dropout, "text_module", sub_seed(200)
        )
        self.image_hash = TorchDense(self.code_length, seed=sub_seed(300), name="image_hash")
        self.text_hash = TorchDense(self.code_length, seed=sub_seed(400), name="text_hash")
        # DIS(hidden_dim // 4, hidden_dim // 8, bit): 2048 -> 1024 -> 512 -> 1 and K -> 512 -> 1.
        self.feature_discriminator = DADHDiscriminator(
            (self.hidden_dim // 8, self.hidden_dim // 16),
            seed=sub_seed(500),
            name="feature_discriminator",
        )
        self.hash_discriminator = DADHDiscriminator(
            (512,), seed=sub_seed(600), name="hash_discriminator"
        )
        self.image_hash.build((None, feature_dim))
        self.text_hash.build((None, feature_dim))
        self.feature_discriminator.build((None, feature_dim))
        self.hash_discriminator.build((None, self.code_length))
        self.interpolation_seed = keras.random.SeedGenerator(
            sub_seed(700), name="interpolation_seed"
        )
        # Seed-generator states are not written to `.keras` files; this saved copy makes the
        # interpolation draws continue exactly after a reload.
        self.interpolation_seed_state = self.add_weight(
            name="interpolation_seed_state",
            shape=self.interpolation_seed.state.shape,
            dtype=self.interpolation_seed.state.dtype,
            trainable=False,
            initializer="zeros",
        )
        # A copy: under JAX, assigning the array itself makes both variables share one buffer,
        # which `predict` then refuses to donate twice.
        self.interpolation_seed_state.assign(ops.copy(self.interpolation_seed.state.value))

        self.codes = self.add_weight(
            name="codes",
            shape=(self.num_train, self.code_length),
            trainable=False,
            initializer=keras.initializers.RandomNormal(seed=sub_seed(800)),
        )
        # B starts as sign(N(0, 1)) (DADH main.py, `train`).
        self.codes.assign(ops.sign(self.codes))
        self.image_buffer = self.add_weight(
            name="image_buffer",
            trainable=False,
            initializer="zeros",
            shape=(self.num_train, self.code_length),
        )
        self.text_buffer = self.add_weight(
            name="text_buffer",
            trainable=False,
            initializer="zeros",
            shape=(self.num_train, self.code_length),
        )
        self.generator_learning_rate = self.add_weight(
            name="generator_learning_rate",
            shape=(),
            trainable=False,
            initializer=keras.initializers.Constant(self.learning_rate),
        )

        generator = (
            self.image_module.trainable_variables
            + self.text_module.trainable_variables
            + self.image_hash.trainable_variables
            + self.text_hash.trainable_variables
        )
        self._groups = {
            "generator": (generator, (0.9, 0.999), self.generator_weight_decay),
            "feature_discriminator": (
                self.feature_discriminator.trainable_variables,
                (0.5, 0.9),
                self.discriminator_weight_decay,
            ),
            "hash_discriminator": (
                self.hash_discriminator.trainable_variables,
                (0.5, 0.9),
                self.discriminator_weight_decay,
            ),
        }
        self._adam_slots = {}
        for group, (variables, _, _) in self._groups.items():
            steps = self.add_weight(
                name=f"{group}_adam_steps", shape=(), trainable=False, initializer="zeros"
            )
            first = [
                self.add_weight(
                    name=f"{group}_adam_m_{i}", shape=v.shape, trainable=False, initializer="zeros"
                )
                for i, v in enumerate(variables)
            ]
            second = [
                self.add_weight(
                    name=f"{group}_adam_v_{i}", shape=v.shape, trainable=False, initializer="zeros"
                )
                for i, v in enumerate(variables)
            ]
            self._adam_slots[group] = (steps, first, second)

        self.generator_loss_tracker = keras.metrics.Mean(name="loss")
        self.triplet_tracker = keras.metrics.Mean(name="triplet_loss")
        self.quantization_tracker = keras.metrics.Mean(name="quantization_loss")
        self.adversarial_tracker = keras.metrics.Mean(name="adversarial_loss")
        self.feature_discriminator_tracker = keras.metrics.Mean(name="feature_discriminator_loss")
        self.hash_discriminator_tracker = keras.metrics.Mean(name="hash_discriminator_loss")
        self.built = True

    # Constants of the objective --------------------------------------------------------------
    @property
    def effective_beta(self) -> float:
        """beta' = beta + 0.1: `train()` adds 0.1 to `opt.beta` (DADH main.py)."""
        return self.beta + 0.1 if self.faithful_constants else self.beta

    @property
    def kappa(self) -> float:
        """The triplet factor kappa = beta * gamma + 0.1 of the original (1 when not faithful)."""
        return self.beta * self.gamma + 0.1 if self.faithful_constants else 1.0

    @property
    def uses_ndcg_weights(self) -> bool:
        # The original weights triplets by NDCG only when alpha == 10 exactly
        # (DADH triplet_loss.py, `TripletLoss.forward`).
        return self.alpha == 10.0 if self.ndcg_weights == "auto" else bool(self.ndcg_weights)

    # Inference --------------------------------------------------------------------------------
    def image_outputs(self, images: TensorLike, training: bool = False) -> Tensor:
        return ops.tanh(self.image_hash(self.image_module(images, training=training)))

    def text_outputs(self, texts: TensorLike, training: bool = False) -> Tensor:
        return ops.tanh(self.text_hash(self.text_module(texts, training=training)))

    def call(self, inputs, training=False):
        """`{"image": h_I, "text": h_T}` for whichever of the keys `inputs` holds."""
        if not isinstance(inputs, dict) or not ({"image", "text"} & set(inputs)):
            raise ValueError(
                "DADH takes a dict with an 'image' and/or a 'text' entry, found "
                f"{type(inputs).__name__} {list(inputs) if isinstance(inputs, dict) else ''}."
            )
        return modality_outputs(self, inputs, training)

    def _encode(self, key: str, inputs: ArrayLike, batch_size: int) -> np.ndarray:
        if len(inputs) == 0:
            return np.zeros((0, self.code_length), dtype=np.int8)
        outputs = self.predict(
            {key: np.asarray(inputs, "float32")}, batch_size=batch_size, verbose=0
        )[key]
        return np.asarray(ops.convert_to_numpy(sign_codes(outputs)), dtype=np.int8)

    def encode_image(self, images: ArrayLike, batch_size: int = 128) -> np.ndarray:
        """`{-1, +1}` int8 codes `(N, code_length)` of image features (eval mode)."""
        return self._encode("image", images, batch_size)

    def encode_text(self, texts: ArrayLike, batch_size: int = 128) -> np.ndarray:
        """`{-1, +1}` int8 codes `(N, code_length)` of text vectors (eval mode)."""
        return self._encode("text", texts, batch_size)

    # Training ---------------------------------------------------------------------------------
    def compile(self, optimizer: None = None, **kwargs: Any) -> None:
        """Prepares `fit`. DADH owns its three Adam optimisers (see the class docstring).

        Keras' trainers still need an optimiser object: a plain SGD whose only role is its
        `iterations` counter (one per batch) is attached. Passing another optimiser raises.
        """
        if optimizer is not None:
            raise ValueError(
                "DADH trains with its own PyTorch-style Adam optimisers (set "
                "`learning_rate` in the constructor); call `compile()` without an "
                f"optimizer, found {optimizer!r}."
            )
        super().compile(optimizer=keras.optimizers.SGD(self.learning_rate), **kwargs)

    def get_compile_config(self):
        return {}

    def compile_from_config(self, config):
        self.compile()

    def _check_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("DADH.fit needs ({'image', 'text', 'index'}, labels) batches.")
        inputs, labels = data[0], data[1]
        missing = {"image", "text", "index"} - set(inputs if isinstance(inputs, dict) else ())
        if missing:
            raise ValueError(
                f"DADH.fit batches need the input keys image, text and index; "
                f"missing {sorted(missing)}."
            )
        if labels is None or labels.shape[-1] != self.num_labels:
            raise ValueError(
                f"DADH was built for num_labels={self.num_labels}, found label batch "
                f"shape {None if labels is None else tuple(labels.shape)}."
            )
        return inputs["image"], inputs["text"], inputs["index"], labels

    def _adam(self, group, values, gradients, non_trainable):
        """One PyTorch Adam step of `group` (`torch_adam_update`), on the values of a stateless
        step: returns the new values and the slot updates by non-trainable position."""
        _, (beta_1, beta_2), weight_decay = self._groups[group]
        steps, first, second = self._adam_slots[group]
        position = self._non_trainable_position
        step = non_trainable[position[id(steps)]] + 1.0
        if group == "generator":
            learning_rate = non_trainable[position[id(self.generator_learning_rate)]]
        else:
            learning_rate = self.learning_rate  # the discriminator rates never decay
        updates = {position[id(steps)]: step}
        new_values = []
        for value, gradient, m_var, v_var in zip(values, gradients, first, second):
            new_value, m, v = torch_adam_update(
                value,
                gradient,
                non_trainable[position[id(m_var)]],
                non_trainable[position[id(v_var)]],
                step,
                learning_rate,
                beta_1,
                beta_2,
                weight_decay,
                ADAM_EPSILON,
            )
            new_values.append(new_value)
            updates[position[id(m_var)]] = m
            updates[position[id(v_var)]] = v
        return new_values, updates

    def _scope(self, trainable, non_trainable):
        return keras.StatelessScope(
            state_mapping=list(zip(self.trainable_variables, trainable))
            + list(zip(self.non_trainable_variables, non_trainable))
        )

    def _generator_forward(self, images, texts):
        features_image = self.image_module(images, training=True)
        features_text = self.text_module(texts, training=True)
        hash_image = ops.tanh(self.image_hash(features_image))
        hash_text = ops.tanh(self.text_hash(features_text))
        if self.second_text_pass:
            # The original recomputes F_T(t) for h~_T (a fresh dropout mask and a second update of
            # the batch-norm statistics); second_text_pass=False reuses f_T instead.
            detached = ops.stop_gradient(self.text_module(texts, training=True))
        else:
            detached = ops.stop_gradient(features_text)
        hash_text_detached = ops.tanh(self.text_hash(detached))
        return features_image, features_text, hash_image, hash_text, hash_text_detached

    def _alternating_update(self, trainable, non_trainable, data):
        """One DADH iteration as a pure function of the variable values (both backends).

        Returns `(new_trainable, new_non_trainable, losses)`.
        """
        images, texts, indices, labels = self._check_batch(data)
        labels = ops.cast(labels, "float32")
        indices = ops.cast(ops.reshape(indices, (-1,)), "int32")
        trainable, non_trainable = list(trainable), list(non_trainable)
        self._non_trainable_position = {
            id(v): i for i, v in enumerate(self.non_trainable_variables)
        }
        trainable_position = {id(v): i for i, v in enumerate(self.trainable_variables)}

        # 1. Generator forward; H_I[idx], H_T[idx] <- outputs (detached); interpolation draws.
        with self._scope(trainable, non_trainable) as scope:
            f_i, f_t, h_i, h_t, _ = self._generator_forward(images, texts)
            f_i, f_t, h_i, h_t = (ops.stop_gradient(x) for x in (f_i, f_t, h_i, h_t))
            self.image_buffer.assign(
                ops.scatter_update(self.image_buffer.value, indices[:, None], h_i)
            )
            self.text_buffer.assign(
                ops.scatter_update(self.text_buffer.value, indices[:, None], h_t)
            )
            # Per element, not per sample (DADH main.py, `train`).
            self.interpolation_seed.state.assign(self.interpolation_seed_state.value)
            feature_mix = keras.random.uniform(ops.shape(f_i), seed=self.interpolation_seed)
            hash_mix = keras.random.uniform(ops.shape(h_i), seed=self.interpolation_seed)
            self.interpolation_seed_state.assign(self.interpolation_seed.state.value)
            forward_state = [scope.get_current_value(v) for v in self.non_trainable_variables]
        codes = ops.take(
            non_trainable[self._non_trainable_position[id(self.codes)]], indices, axis=0
        )

        # 2-3. One step of each discriminator on detached inputs.
        def discriminator_step(group, discriminator, real, fake, mix):
            positions = [trainable_position[id(v)] for v in self._groups[group][0]]

            def loss_fn(values):
                current = list(trainable)
                for position, value in zip(positions, values):
                    current[position] = value
                with self._scope(current, non_trainable):
                    gan = discriminator_loss(discriminator(real), discriminator(fake))
                    penalty = gradient_penalty(
                        discriminator.input_gradient(mix * real + (1.0 - mix) * fake)
                    )
                return self.gamma * gan + GRADIENT_PENALTY_WEIGHT * penalty, penalty

            values = [trainable[p] for p in positions]
            (loss, _), gradients = _value_and_grad(loss_fn, values)
            new_values, updates = self._adam(group, values, gradients, forward_state)
            for position, value in zip(positions, new_values):
                trainable[position] = value
            for position, value in updates.items():
                forward_state[position] = value
            return loss

        loss_feature = discriminator_step(
            "feature_discriminator", self.feature_discriminator, f_i, f_t, feature_mix
        )
        loss_hash = discriminator_step(
            "hash_discriminator", self.hash_discriminator, h_i, h_t, hash_mix
        )

        # 4. Generator step against the updated discriminators. The forward pass is recomputed
        # from the state before step 1, so batch statistics and dropout masks are those of step 1.
        generator_positions = [trainable_position[id(v)] for v in self._groups["generator"][0]]

        def generator_loss(values):
            current = list(trainable)
            for position, value in zip(generator_positions, values):
                current[position] = value
            with self._scope(current, non_trainable):
                f_i, f_t, h_i, h_t, h_t_detached = self._generator_forward(images, texts)
                triplet = self.alpha * (
                    dadh_triplet_loss(
                        h_i,
                        h_t,
                        labels,
                        margin=self.margin,
                        kappa=self.kappa,
                        ndcg_weights=self.uses_ndcg_weights,
                    )
                    + dadh_triplet_loss(
                        h_t,
                        h_i,
                        labels,
                        margin=self.margin,
                        kappa=self.kappa,
                        ndcg_weights=self.uses_ndcg_weights,
                    )
                )
                quantization = self.effective_beta * (
                    dadh_quantization_loss(codes, h_i) + dadh_quantization_loss(codes, h_t)
                )
                adversarial = self.gamma * (
                    generator_adversarial_loss(self.feature_discriminator(f_t))
                    + generator_adversarial_loss(self.hash_discriminator(h_t_detached))
                )
            return triplet + quantization + adversarial, (triplet, quantization, adversarial)

        values = [trainable[p] for p in generator_positions]
        (loss, parts), gradients = _value_and_grad(generator_loss, values)
        new_values, updates = self._adam("generator", values, gradients, forward_state)
        for position, value in zip(generator_positions, new_values):
            trainable[position] = value
        for position, value in updates.items():
            forward_state[position] = value
        losses = {
            self.generator_loss_tracker: loss,
            self.triplet_tracker: parts[0],
            self.quantization_tracker: parts[1],
            self.adversarial_tracker: parts[2],
            self.feature_discriminator_tracker: loss_feature,
            self.hash_discriminator_tracker: loss_hash,
        }
        return trainable, forward_state, losses

    def train_step(self, *args):
        """Keras calls `train_step(data)` on TensorFlow and `train_step(state, data)` on JAX."""
        if keras.backend.backend() == "jax":
            return self._train_step_stateless(*args)
        return self._train_step_stateful(*args)

    def _train_step_stateful(self, data):
        trainable, non_trainable, losses = self._alternating_update(
            [v.value for v in self.trainable_variables],
            [v.value for v in self.non_trainable_variables],
            data,
        )
        for variable, value in zip(self.trainable_variables, trainable):
            variable.assign(value)
        for variable, value in zip(self.non_trainable_variables, non_trainable):
            variable.assign(value)
        self.optimizer.iterations.assign_add(1)
        for tracker, value in losses.items():
            tracker.update_state(value)
        return {tracker.name: tracker.result() for tracker in losses}

    def _train_step_stateless(self, state, data):
        trainable, non_trainable, optimizer_values, metric_values = state
        trainable, non_trainable, losses = self._alternating_update(trainable, non_trainable, data)
        optimizer_values = [
            value + 1 if variable is self.optimizer.iterations else value
            for variable, value in zip(self.optimizer.variables, optimizer_values)
        ]
        new_metric_values, logs, offset = [], {}, 0
        for metric in self.metrics:
            count = len(metric.variables)
            values = list(metric_values[offset : offset + count])
            offset += count
            if metric in losses:
                values = metric.stateless_update_state(values, losses[metric])
                logs[metric.name] = metric.stateless_result(values)
            new_metric_values.extend(values)
        return logs, (trainable, non_trainable, optimizer_values, new_metric_values)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_dim": self.image_dim,
                "text_dim": self.text_dim,
                "num_labels": self.num_labels,
                "num_train": self.num_train,
                "code_length": self.code_length,
                "hidden_dim": self.hidden_dim,
                "dropout": self.dropout,
                "alpha": self.alpha,
                "beta": self.beta,
                "gamma": self.gamma,
                "margin": self.margin,
                "lamb": self.lamb,
                "mu": self.mu,
                "learning_rate": self.learning_rate,
                "generator_weight_decay": self.generator_weight_decay,
                "discriminator_weight_decay": self.discriminator_weight_decay,
                "ndcg_weights": self.ndcg_weights,
                "faithful_constants": self.faithful_constants,
                "second_text_pass": self.second_text_pass,
                "seed": self.seed,
            }
        )
        return config
