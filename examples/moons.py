"""Train the original micrograd demo: an MLP 2-16-16-1 separating two moons.

    python examples/moons.py
"""

import random
import time

from micrograd import MLP
from micrograd.data import moons

random.seed(1337)
X, labels = moons(100, noise=0.1, seed=0)
y = [2 * label - 1 for label in labels]  # the SVM hinge loss wants labels -1 / +1
model = MLP(2, [16, 16, 1])
steps = 100
start = time.perf_counter()
for k in range(steps):
    scores = [model(x) for x in X]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    accuracy = sum((yi > 0) == (score.data > 0) for yi, score in zip(y, scores)) / len(y)
    model.zero_grad()
    loss.backward()
    learning_rate = 1.0 - 0.9 * k / steps
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    if k % 10 == 0 or k == steps - 1:
        print(f"step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
print(f"trained {steps} steps in {time.perf_counter() - start:.1f} s")
