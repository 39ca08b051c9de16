"""RadCase's compact CNN: a small residual network sized for CPU inference.

Why this shape: the task is 4-way classification of 2-D grey slices at
~128 px, which needs a modest receptive field and little capacity; a narrow
ResNet-style stack with batch norm trains stably from scratch, runs well
under 15 ms a slice on two CPU cores, and keeps the checkpoint to a few MB.
Dropout before the classifier doubles as the MC-dropout uncertainty source.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with a (strided, 1x1-projected) skip connection."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.act = nn.SiLU(inplace=True)
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.skip(x))


class CompactCNN(nn.Module):
    """Stem (stride 2) then one residual block per width, each halving resolution."""

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 4,
        widths: tuple[int, ...] | list[int] = (24, 48, 96, 192),
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.SiLU(inplace=True),
        )
        blocks = []
        cin = widths[0]
        for i, w in enumerate(widths):
            blocks.append(ResidualBlock(cin, w, stride=1 if i == 0 else 2))
            cin = w
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(cin, num_classes)

    @property
    def gradcam_layer(self) -> nn.Module:
        """The last feature block: highest-level maps that still have spatial extent."""
        return self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.stem(x))
        return self.classifier(self.dropout(torch.flatten(self.pool(x), 1)))
