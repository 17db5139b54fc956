"""A masked, permutation-equivariant transformer over particles (PC-JeDi/PC-Droid style).

Conditioning enters every block through adaptive layer norm (scale, shift, gate), which
is cheaper than cross-attention to a context token and trains faster at this size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import Context


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_ratio * dim), nn.SiLU(), nn.Linear(mlp_ratio * dim, dim)
        )
        self.modulation = nn.Linear(dim, 6 * dim)
        # Start every block as the identity (DiT's adaLN-zero) so deep stacks train stably.
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)

    def forward(self, h: torch.Tensor, ctx: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        b, p, d = h.shape
        s1, b1, g1, s2, b2, g2 = self.modulation(ctx)[:, None, :].chunk(6, -1)
        y = self.norm1(h) * (1 + s1) + b1
        q, k, v = self.qkv(y).view(b, p, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if q.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            # Under bf16 autocast, keep attention in fp32: the CPU's masked fp32 kernel is
            # faster than its bf16 one at these sizes, and exact.
            with torch.autocast("cpu", enabled=False):
                y = F.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                                   attn_mask=attn_mask)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        h = h + g1 * self.proj(y.transpose(1, 2).reshape(b, p, d))
        y = self.norm2(h) * (1 + s2) + b2
        return h + g2 * self.mlp(y)


class ParticleTransformer(nn.Module):
    """f(x, c_noise, mask, cond) → [B, P, F]; padded particles are neither attended to nor
    produced."""

    def __init__(self, n_features: int = 3, cond_dim: int = 9, dim: int = 128, depth: int = 4,
                 heads: int = 4, mlp_ratio: int = 2):
        super().__init__()
        self.context = Context(cond_dim, dim)
        self.embed = nn.Linear(n_features, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, elementwise_affine=False)
        self.final_mod = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, n_features)
        nn.init.zeros_(self.final_mod.weight)
        nn.init.zeros_(self.final_mod.bias)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor, mask: torch.Tensor,
                cond: torch.Tensor | None) -> torch.Tensor:
        ctx = self.context(c_noise, cond)
        h = self.embed(x) + ctx[:, None, :]
        attn_mask = mask[:, None, None, :]
        for block in self.blocks:
            h = block(h, ctx, attn_mask)
        scale, shift = self.final_mod(ctx)[:, None, :].chunk(2, -1)
        return self.out(self.norm(h) * (1 + scale) + shift) * mask[..., None]
