"""A tiny image classifier for testing measure_torch.py's module: models (module:tools/tests/tiny_model.py:make)."""

from torch import nn


def make():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 1000))
