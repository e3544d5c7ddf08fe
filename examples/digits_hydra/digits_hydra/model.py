"""The model and its training step, in plain numpy: no Dora here.

A one-hidden-layer perceptron (ReLU, softmax cross-entropy) trained by minibatch SGD
with weight decay on scikit-learn's bundled 8x8 handwritten digits (1,797 images, no
download). Everything is deterministic given the seed, including after a resume: the
order of the examples in epoch `e` depends only on (seed, e).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

N_CLASSES = 10
VALID_FRACTION = 0.2
SPLIT_SEED = 1234  # the train/valid split is the same for every XP

Params = Dict[str, np.ndarray]


@dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray


def load_data() -> Data:
    """The digits, pixels scaled to [0, 1], split 80/20 in a fixed stratified way."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float64)
    y = digits.target.astype(np.int64)
    x_train, x_valid, y_train, y_valid = train_test_split(
        x, y, test_size=VALID_FRACTION, random_state=SPLIT_SEED, stratify=y
    )
    return Data(x_train, y_train, x_valid, y_valid)


def init_params(n_in: int, hidden: int, seed: int) -> Params:
    """He initialisation for the hidden layer, small weights for the output layer."""
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, hidden)),
        "b1": np.zeros(hidden),
        "w2": rng.normal(0.0, np.sqrt(1.0 / hidden), size=(hidden, N_CLASSES)),
        "b2": np.zeros(N_CLASSES),
    }


def _forward(params: Params, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    hidden = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    logits = hidden @ params["w2"] + params["b2"]
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return hidden, probs


def evaluate(params: Params, x: np.ndarray, y: np.ndarray) -> Dict[str, float]:
    """Mean cross-entropy and accuracy of `params` on (x, y)."""
    _, probs = _forward(params, x)
    loss = -np.log(probs[np.arange(len(y)), y] + 1e-12).mean()
    acc = (probs.argmax(axis=1) == y).mean()
    return {"loss": float(loss), "acc": float(acc)}


def sgd_step(
    params: Params, x: np.ndarray, y: np.ndarray, lr: float, weight_decay: float
) -> Tuple[float, int]:
    """One SGD step on the batch (x, y), updating `params` in place.

    Returns:
        The summed cross-entropy and the number of correct answers on the batch,
        measured before the step.
    """
    hidden, probs = _forward(params, x)
    rows = np.arange(len(y))
    loss_sum = float(-np.log(probs[rows, y] + 1e-12).sum())
    correct = int((probs.argmax(axis=1) == y).sum())

    grad_logits = probs
    grad_logits[rows, y] -= 1.0
    grad_logits /= len(y)
    grads = {
        "w2": hidden.T @ grad_logits + weight_decay * params["w2"],
        "b2": grad_logits.sum(axis=0),
    }
    grad_hidden = (grad_logits @ params["w2"].T) * (hidden > 0)
    grads["w1"] = x.T @ grad_hidden + weight_decay * params["w1"]
    grads["b1"] = grad_hidden.sum(axis=0)
    for name, grad in grads.items():
        params[name] -= lr * grad
    return loss_sum, correct


def train_epoch(
    params: Params,
    data: Data,
    *,
    epoch: int,
    seed: int,
    lr: float,
    batch_size: int,
    weight_decay: float,
) -> Dict[str, float]:
    """One pass over the training set in an order fixed by (seed, epoch).

    Returns:
        The mean loss and accuracy over the epoch's batches, measured before each step.
    """
    order = np.random.default_rng([seed, epoch]).permutation(len(data.y_train))
    total_loss = 0.0
    correct = 0
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        loss_sum, batch_correct = sgd_step(
            params, data.x_train[index], data.y_train[index], lr, weight_decay
        )
        total_loss += loss_sum
        correct += batch_correct
    count = len(order)
    return {"loss": total_loss / count, "acc": correct / count}
