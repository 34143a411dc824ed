#!/usr/bin/python3
"""Generate the PyTorch parity fixtures for the Swift tensor engine.

    /usr/bin/python3 tools/make_fixtures.py [--out DIR] [--only CASE ...]

Writes one safetensors file per case into Tests/CMCTestSupport/Fixtures/ (default) plus README.md
describing every case. Everything is deterministic (torch.manual_seed(0) at the start of each case).

Per case:
  * inputs and parameters are created in float32 (these exact float32 values are stored),
  * module and inputs are then cast to float64, the forward / backward run in float64, and the
    results are rounded to float32 for storage, so each stored output is the correctly rounded
    "true" value for the stored float32 inputs.
  * backward is of loss = (out * cot).sum() with cot a random float32 tensor of out's shape.

Tensor names in a file:
  in.<name>         inputs (integer targets stored as F32)
  p.<state name>    parameters and buffers before the forward (num_batches_tracked skipped)
  out               forward output
  cot               cotangent
  g.in.<name>       gradient w.r.t. each differentiable input
  g.p.<name>        gradient w.r.t. each parameter
  after.<buffer>    buffers after the forward (BatchNorm running stats)
  aux.<name>        optional extra reference values (e.g. mined indices for the CMKM loss)
  __metadata__      {"op": case name, "config": JSON string, "mode": "train"|"eval"}
Sequence inputs of attention / transformer cases are stored batch-first (B, L, E).
"""

import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "Tests", "CMCTestSupport", "Fixtures")
MAX_FILE_BYTES = 200 * 1024
MAX_TOTAL_BYTES = 3 * 1024 * 1024
ZERO_GRAD = 1e-9  # g.* tensors below this are exactly zero mathematically (rounding noise only)

# --------------------------------------------------------------------------------------------
# safetensors (hand-written writer / reader)
# --------------------------------------------------------------------------------------------


def write_safetensors(path, tensors, metadata):
    """tensors: ordered dict name -> torch tensor (stored as little-endian F32)."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        a = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4", copy=False)
        raw = a.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((-len(hj)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns (dict name -> float32 torch tensor, metadata dict). Validates the layout strictly."""
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header length not a multiple of 8"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    end_max = 0
    for name, info in header.items():
        assert info["dtype"] == "F32"
        b, e = info["data_offsets"]
        count = math.prod(info["shape"]) if info["shape"] else 1
        assert e - b == 4 * count, name
        out[name] = torch.from_numpy(np.frombuffer(body[b:e], dtype="<f4").copy().reshape(info["shape"]))
        end_max = max(end_max, e)
    assert end_max == len(body), "trailing bytes in data section"
    return out, meta


# --------------------------------------------------------------------------------------------
# Case machinery
# --------------------------------------------------------------------------------------------

CASES = []  # (name, builder)


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


class Spec:
    """What a builder returns.

    inputs: ordered {name: float32 tensor};  diff: names of differentiable inputs
    module: nn.Module in float32 (or None);  forward(module, inputs_as_double) -> out
    config: dict;  mode: "train" | "eval";  aux: optional extra tensors computed by `aux_fn`.
    """

    def __init__(self, inputs, forward, config, diff=None, module=None, mode="train", aux_fn=None):
        self.inputs = inputs
        self.diff = list(inputs) if diff is None else diff
        self.module = module
        self.forward = forward
        self.config = config
        self.mode = mode
        self.aux_fn = aux_fn


def randomize_norms(module, running=True):
    """Non-trivial affine params (and running stats) for BN / LN, and non-zero biases where
    PyTorch initialises them to zero (MHA in_proj_bias / out_proj.bias)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
                if m.weight is not None:
                    m.weight.copy_(torch.empty_like(m.weight).uniform_(0.5, 1.5))
                    m.bias.copy_(torch.randn_like(m.bias) * 0.2)
                if running and isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.5)
                    m.running_var.copy_(torch.empty_like(m.running_var).uniform_(0.5, 2.0))
            if isinstance(m, nn.MultiheadAttention):
                m.in_proj_bias.copy_(torch.randn_like(m.in_proj_bias) * 0.1)
                m.out_proj.bias.copy_(torch.randn_like(m.out_proj.bias) * 0.1)
    return module


def state_tensors(module):
    """state_dict minus num_batches_tracked (non-persistent buffers are not in the state_dict)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}


def buffer_names(module):
    return [k for k, _ in module.named_buffers() if not k.endswith("num_batches_tracked")
            and k in module.state_dict()]


def shape_of(t):
    return list(t.shape)


def run_case(name, builder):
    torch.manual_seed(0)
    spec = builder()
    tensors = {}
    for k, v in spec.inputs.items():
        assert v.dtype == torch.float32, (name, k)
        tensors[f"in.{k}"] = v
    module = spec.module
    if module is not None:
        for k, v in state_tensors(module).items():
            assert v.dtype == torch.float32, (name, k)
            tensors[f"p.{k}"] = v
    # The cotangent is drawn after the float64 forward (its shape is out's), from the same seeded stream.
    x64 = {}
    for k, v in spec.inputs.items():
        t = v.detach().to(torch.float64)
        if k in spec.diff:
            t.requires_grad_(True)
        x64[k] = t
    if module is not None:
        module = module.double()
        tm.rebuild_positional_tables(module)
        module.train(spec.mode == "train")
    out = spec.forward(module, x64)
    cot = torch.randn(out.shape, dtype=torch.float32)
    (out * cot.to(torch.float64)).sum().backward()
    tensors["out"] = out.detach()
    tensors["cot"] = cot
    for k in spec.diff:
        g = x64[k].grad
        assert g is not None, (name, k)
        tensors[f"g.in.{k}"] = g
    if module is not None:
        for k, p in module.named_parameters():
            assert p.grad is not None, (name, k)
            tensors[f"g.p.{k}"] = p.grad
        sd = module.state_dict()
        for k in buffer_names(module):
            tensors[f"after.{k}"] = sd[k].detach()
    if spec.aux_fn is not None:
        for k, v in spec.aux_fn(x64).items():
            tensors[f"aux.{k}"] = v
    for k, v in tensors.items():
        assert torch.isfinite(v.to(torch.float64)).all(), (name, k)
    meta = {"op": name, "config": json.dumps(spec.config, sort_keys=True), "mode": spec.mode}
    return tensors, meta, spec


# --------------------------------------------------------------------------------------------
# Input helpers
# --------------------------------------------------------------------------------------------


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def uniform(lo, hi, *shape):
    return torch.empty(*shape, dtype=torch.float32).uniform_(lo, hi)


def away_from_zero(*shape, margin=0.1):
    x = randn(*shape)
    return x + torch.sign(x) * margin


def distinct(*shape, lo=-2.0, hi=2.0):
    """A random permutation of evenly spaced values: all distinct (unique argmax), exactly representable."""
    n = math.prod(shape)
    step = (hi - lo) / n
    return (torch.randperm(n).to(torch.float32) * step + lo).reshape(shape)


def seq_first(x):
    return x.permute(1, 0, 2)


# --------------------------------------------------------------------------------------------
# Elementwise / reduction / shape cases
# --------------------------------------------------------------------------------------------


def binary(a, b, fn, **cfg):
    return Spec({"a": a, "b": b}, lambda m, x: fn(x["a"], x["b"]),
                dict(cfg, a_shape=shape_of(a), b_shape=shape_of(b)))


def unary(x, fn, **cfg):
    return Spec({"x": x}, lambda m, i: fn(i["x"]), dict(cfg, x_shape=shape_of(x)))


@case("add_broadcast")
def _():
    return binary(randn(2, 3, 4), randn(3, 1), torch.add, broadcast="numpy")


@case("sub_broadcast")
def _():
    return binary(randn(2, 3, 4), randn(4), torch.sub, broadcast="numpy")


@case("mul_broadcast")
def _():
    return binary(randn(2, 1, 4), randn(3, 1), torch.mul, broadcast="numpy", out_shape=[2, 3, 4])


@case("div")
def _():
    return binary(randn(2, 3), uniform(0.5, 2.0, 2, 3), torch.div, b_range=[0.5, 2.0])


@case("matmul")
def _():
    return binary(randn(5, 7), randn(7, 3), torch.matmul)


@case("bmm")
def _():
    return binary(randn(2, 5, 7), randn(2, 7, 3), torch.bmm)


@case("sum_axis1")
def _():
    return unary(randn(2, 3, 4), lambda x: x.sum(dim=1), axis=1, keepdim=False)


@case("mean_axis2")
def _():
    return unary(randn(2, 3, 4), lambda x: x.mean(dim=2), axis=2, keepdim=False)


@case("max_axis1")
def _():
    return unary(distinct(2, 3, 4), lambda x: x.max(dim=1).values, axis=1, keepdim=False,
                 note="values only; all inputs distinct so the argmax (gradient target) is unique")


@case("exp")
def _():
    return unary(randn(2, 3, 4), torch.exp)


@case("log")
def _():
    return unary(uniform(0.5, 3.0, 2, 3, 4), torch.log, x_range=[0.5, 3.0])


@case("sqrt")
def _():
    return unary(uniform(0.5, 3.0, 2, 3, 4), torch.sqrt, x_range=[0.5, 3.0])


@case("relu")
def _():
    return unary(away_from_zero(2, 3, 4), F.relu, note="abs(x) >= 0.1")


@case("leaky_relu")
def _():
    return unary(away_from_zero(2, 3, 4), lambda x: F.leaky_relu(x, 0.01), negative_slope=0.01, note="abs(x) >= 0.1")


@case("softmax")
def _():
    return unary(randn(2, 3, 5), lambda x: torch.softmax(x, dim=-1), axis=-1)


@case("log_softmax")
def _():
    return unary(randn(2, 3, 5), lambda x: torch.log_softmax(x, dim=-1), axis=-1)


@case("reshape")
def _():
    return unary(randn(2, 3, 4), lambda x: x.reshape(6, 4), shape=[6, 4])


@case("permute")
def _():
    return unary(randn(2, 3, 4), lambda x: x.permute(2, 0, 1), perm=[2, 0, 1], out_shape=[4, 2, 3])


@case("concat")
def _():
    return binary(randn(2, 3, 4), randn(2, 2, 4), lambda a, b: torch.cat((a, b), dim=1), axis=1)


@case("slice")
def _():
    return unary(randn(2, 4, 5), lambda x: x[:, 1:3, :], axis=1, start=1, end=3,
                 note="x[:, 1:3, :] (end exclusive)")


@case("pad")
def _():
    return unary(randn(2, 3, 4), lambda x: F.pad(x, (1, 2)), axis=-1, left=1, right=2, value=0.0)


# --------------------------------------------------------------------------------------------
# Conv / pool / norm / linear cases
# --------------------------------------------------------------------------------------------


def module_case(module, inputs, fwd, config, mode="train", diff=None):
    return Spec(inputs, fwd, config, diff=diff, module=module, mode=mode)


def conv1d_case(stride, padding):
    m = nn.Conv1d(3, 4, 5, stride=stride, padding=padding)
    x = randn(2, 3, 10)
    return module_case(m, {"x": x}, lambda m, i: m(i["x"]),
                       {"x_shape": [2, 3, 10], "weight_shape": [4, 3, 5], "stride": stride, "padding": padding,
                        "bias": True, "names": "weight (out,in,k), bias"})


@case("conv1d")
def _():
    return conv1d_case(1, 1)


@case("conv1d_stride2_pad2")
def _():
    return conv1d_case(2, 2)


def conv2d_case(stride, padding):
    m = nn.Conv2d(3, 5, 3, stride=stride, padding=padding)
    x = randn(2, 3, 8, 7)
    return module_case(m, {"x": x}, lambda m, i: m(i["x"]),
                       {"x_shape": [2, 3, 8, 7], "weight_shape": [5, 3, 3, 3], "stride": list(stride),
                        "padding": list(padding), "bias": True, "names": "weight (out,in,kh,kw), bias"})


@case("conv2d")
def _():
    return conv2d_case((1, 1), (0, 0))


@case("conv2d_stride21_pad10")
def _():
    return conv2d_case((2, 1), (1, 0))


@case("maxpool2d")
def _():
    return unary(distinct(2, 3, 7, 9), lambda x: F.max_pool2d(x, 2), kernel=2, stride=2, padding=0,
                 floor_mode=True, out_shape=[2, 3, 3, 4], note="all inputs distinct")


def bn_case(cls, shape, mode):
    m = randomize_norms(cls(shape[1]))
    x = randn(*shape)
    return module_case(m, {"x": x}, lambda m, i: m(i["x"]),
                       {"x_shape": list(shape), "num_features": shape[1], "eps": 1e-5, "momentum": 0.1,
                        "running_var_update": "unbiased batch variance",
                        "names": "weight, bias, running_mean, running_var"}, mode=mode)


@case("batchnorm1d_train_3d")
def _():
    return bn_case(nn.BatchNorm1d, (4, 3, 6), "train")


@case("batchnorm1d_train_2d")
def _():
    return bn_case(nn.BatchNorm1d, (8, 5), "train")


@case("batchnorm1d_eval")
def _():
    return bn_case(nn.BatchNorm1d, (4, 3, 6), "eval")


@case("batchnorm2d_train")
def _():
    return bn_case(nn.BatchNorm2d, (3, 4, 5, 6), "train")


@case("layernorm")
def _():
    m = randomize_norms(nn.LayerNorm(8))
    return module_case(m, {"x": randn(2, 5, 8)}, lambda m, i: m(i["x"]),
                       {"x_shape": [2, 5, 8], "normalized_shape": [8], "eps": 1e-5, "names": "weight, bias"})


@case("linear")
def _():
    m = nn.Linear(6, 3)
    return module_case(m, {"x": randn(4, 6)}, lambda m, i: m(i["x"]),
                       {"x_shape": [4, 6], "in": 6, "out": 3, "names": "weight (out,in), bias"})


@case("linear_3d")
def _():
    m = nn.Linear(6, 3)
    return module_case(m, {"x": randn(2, 5, 6)}, lambda m, i: m(i["x"]),
                       {"x_shape": [2, 5, 6], "in": 6, "out": 3, "names": "weight (out,in), bias"})


@case("l2_normalize")
def _():
    return unary(randn(5, 8), lambda x: F.normalize(x, dim=1), axis=1, eps=1e-12,
                 note="x / max(norm2(x), eps) per row")


@case("cosine_similarity_matrix")
def _():
    return binary(randn(5, 8), randn(6, 8), tm.cosine_matrix, note="normalize(a, dim=1) @ normalize(b, dim=1).T")


@case("cross_entropy")
def _():
    logits = randn(6, 5)
    target = torch.randint(0, 5, (6,)).to(torch.float32)
    return Spec({"logits": logits, "target": target},
                lambda m, x: F.cross_entropy(x["logits"], x["target"].long()),
                {"logits_shape": [6, 5], "classes": 5, "reduction": "mean",
                 "note": "target holds class indices stored as F32"}, diff=["logits"])


# --------------------------------------------------------------------------------------------
# Attention / transformer
# --------------------------------------------------------------------------------------------


@case("mha")
def _():
    m = randomize_norms(nn.MultiheadAttention(16, 2, dropout=0.0))
    x = randn(3, 7, 16)

    def fwd(m, i):
        s = seq_first(i["x"])
        y, _ = m(s, s, s, need_weights=False)
        return seq_first(y)

    return module_case(m, {"x": x}, fwd,
                       {"x_layout": "B,L,E", "x_shape": [3, 7, 16], "embed_dim": 16, "heads": 2, "dropout": 0.0,
                        "self_attention": True, "mask": None,
                        "names": "in_proj_weight (3E,E) rows [Wq;Wk;Wv], in_proj_bias (3E), out_proj.weight, "
                                 "out_proj.bias"})


@case("transformer_layer")
def _():
    m = randomize_norms(nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0))
    x = randn(3, 7, 16)
    return module_case(m, {"x": x}, lambda m, i: seq_first(m(seq_first(i["x"]))),
                       {"x_layout": "B,L,E", "x_shape": [3, 7, 16], "d_model": 16, "heads": 2, "ff": 32,
                        "dropout": 0.0, "activation": "relu", "norm_first": False, "layer_norm_eps": 1e-5,
                        "names": "self_attn.{in_proj_weight,in_proj_bias,out_proj.weight,out_proj.bias}, "
                                 "linear1.*, linear2.*, norm1.*, norm2.*"}, mode="train")


# --------------------------------------------------------------------------------------------
# Model pieces
# --------------------------------------------------------------------------------------------


@case("conv_bn_relu_stack")
def _():
    m = randomize_norms(nn.Sequential(tm.ConvBNReLU2d(3, 4, 3), tm.ConvBNReLU2d(4, 6, 3)))
    return module_case(m, {"x": randn(2, 3, 8, 8)}, lambda m, i: m(i["x"]),
                       {"x_shape": [2, 3, 8, 8], "layers": [[3, 4, 3], [4, 6, 3]], "stride": 1, "padding": 0,
                        "structure": "Conv2d->BN2d->ReLU, twice",
                        "names": "{0,1}.conv.{weight,bias}, {0,1}.bn.{weight,bias,running_mean,running_var}"})


INERTIAL_SMALL = dict(in_channels=6, channels=(8, 16, 32), kernel=5, padding=1, heads=2, layers=2, ff=64, length=50)
INERTIAL_SMALL_BATCH = 2  # B=3 would make each file ~207 KB, over the 200 KB budget


def inertial_case(mode, dropout):
    m = randomize_norms(tm.InertialEncoder(**INERTIAL_SMALL, dropout=dropout))
    x = randn(INERTIAL_SMALL_BATCH, 6, 50)
    cfg = dict(INERTIAL_SMALL, channels=list(INERTIAL_SMALL["channels"]), dropout=dropout,
               x_shape=[INERTIAL_SMALL_BATCH, 6, 50], out_shape=[INERTIAL_SMALL_BATCH, m.out_size],
               flatten="channel-major: out[b, e*44 + t]", positional_encoding="sinusoidal, seq-first add, not saved")
    return module_case(m, {"x": x}, lambda m, i: m(i["x"]), cfg, mode=mode)


@case("inertial_encoder_small_train")
def _():
    return inertial_case("train", 0.0)


@case("inertial_encoder_small_eval")
def _():
    return inertial_case("eval", 0.1)  # eval: dropout inactive whatever its rate


SKELETON_SMALL = dict(in_channels=3, joints=20, length=50, channels=(8, 32, 4, 8, 16, 32))


def skeleton_case(mode):
    m = randomize_norms(tm.SkeletonEncoder(**SKELETON_SMALL))
    x = randn(3, 3, 50, 20)
    cfg = dict(SKELETON_SMALL, channels=list(SKELETON_SMALL["channels"]), x_shape=[3, 3, 50, 20],
               out_shape=[3, m.out_size],
               note="c2 must be >= 26 (it becomes the H axis after the permute); 32 reproduces the "
                    "full-size spatial shapes exactly")
    return module_case(m, {"x": x}, lambda m, i: m(i["x"]), cfg, mode=mode)


@case("skeleton_encoder_small_train")
def _():
    return skeleton_case("train")


@case("skeleton_encoder_small_eval")
def _():
    return skeleton_case("eval")


@case("projection_head")
def _():
    m = randomize_norms(tm.ProjectionHead(20, 16, 8))
    return module_case(m, {"x": randn(6, 20)}, lambda m, i: m(i["x"]),
                       {"x_shape": [6, 20], "in": 20, "hidden": 16, "out": 8,
                        "names": "linear1.*, bn.*, linear2.*"})


@case("multimodal_classifier")
def _():
    m = randomize_norms(tm.MultiModalClassifier(12, 10, hidden=16, classes=5))
    return module_case(m, {"inertial": randn(6, 12), "skeleton": randn(6, 10)},
                       lambda m, i: m(i["inertial"], i["skeleton"]),
                       {"inertial_shape": [6, 12], "skeleton_shape": [6, 10], "hidden": 16, "classes": 5,
                        "concat_order": "[inertial, skeleton]",
                        "names": "inertial.linear.*, inertial.bn.*, skeleton.linear.*, skeleton.bn.*, head.*"})


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


@case("nt_xent")
def _():
    return Spec({"z1": randn(6, 8), "z2": randn(6, 8)}, lambda m, x: tm.nt_xent(x["z1"], x["z2"], 0.5),
                {"z_shape": [6, 8], "tau": 0.5, "reduction": "mean over 2N rows"})


@case("cmc_loss")
def _():
    return Spec({"zi": randn(6, 8), "zs": randn(6, 8)}, lambda m, x: tm.cmc_loss(x["zi"], x["zs"], 0.1),
                {"z_shape": [6, 8], "tau": 0.1, "reduction": "mean over 2N rows"})


class SimCLRModel(nn.Module):
    """An encoder and its projection head, named as in cmc-train's SimCLR checkpoints (`encoder.*`, `head.*`)."""

    def __init__(self, encoder, head):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, v1, v2, tau):
        # As the reference's SimCLR step: the views are concatenated before one forward, so every
        # train-mode BatchNorm normalises with statistics over all 2N rows.
        z = self.head(self.encoder(torch.cat((v1, v2), dim=0)))
        n = v1.shape[0]
        return tm.nt_xent(z[:n], z[n:], tau)


@case("simclr_loss")
def _():
    encoder = randomize_norms(tm.SkeletonEncoder(**SKELETON_SMALL))
    m = SimCLRModel(encoder, randomize_norms(tm.ProjectionHead(encoder.out_size, 16, 8)))
    v1, v2 = randn(3, 3, 50, 20), randn(3, 3, 50, 20)
    cfg = dict(SKELETON_SMALL, channels=list(SKELETON_SMALL["channels"]), view_shape=[3, 3, 50, 20],
               head=[encoder.out_size, 16, 8], tau=0.5,
               forward="nt_xent of head(encoder(cat(v1, v2))) split into its two halves",
               note="views are data (no input gradients)")
    return module_case(m, {"v1": v1, "v2": v2}, lambda m, x: m(x["v1"], x["v2"], 0.5), cfg, diff=[])


def check_mining_margins(teacher, k, min_gap=1e-3):
    """The top-k choice must be robust to float32 rounding: gaps around the k-th value, no diagonal picks."""
    a = tm.cosine_matrix(teacher.double(), teacher.double()) - torch.eye(teacher.shape[0], dtype=torch.float64)
    vals, idx = torch.sort(a, dim=1, descending=True)
    gaps = vals[:, :k + 1].diff(dim=1).abs()
    assert (gaps > min_gap).all(), f"mining ties too close: {gaps}"
    assert not (idx[:, :k] == torch.arange(teacher.shape[0]).unsqueeze(1)).any(), "mined the anchor itself"


def cmkm_case(k, lam, temper):
    zi, zs = randn(6, 8), randn(6, 8)
    # Teacher features: the inertial teacher output is post-LayerNorm (mixed sign), the skeleton one is
    # post-ReLU (non-negative). A small positive shift keeps every row's best off-diagonal cosine positive.
    ti, ts = randn(6, 12) + 0.5, uniform(0.0, 1.0, 6, 10)
    check_mining_margins(ti, k)
    check_mining_margins(ts, k)

    def fwd(m, x):
        return tm.cmkm_loss(x["zi"], x["zs"], x["teacher_i"], x["teacher_s"], 0.1, k=k, lam=lam, temper_intra=temper)

    def aux(x):
        with torch.no_grad():
            naive = tm.cmkm_loss_naive(x["zi"], x["zs"], x["teacher_i"], x["teacher_s"], 0.1, k=k, lam=lam,
                                       temper_intra=temper)
            main = fwd(None, x)
            assert torch.allclose(naive, main, rtol=1e-12, atol=1e-12)
            return {"mined_i": tm.mine_positives(x["teacher_i"], k).to(torch.float32),
                    "mined_s": tm.mine_positives(x["teacher_s"], k).to(torch.float32)}

    return Spec({"zi": zi, "zs": zs, "teacher_i": ti, "teacher_s": ts}, fwd,
                {"z_shape": [6, 8], "teacher_i_shape": [6, 12], "teacher_s_shape": [6, 10], "tau": 0.1, "k": k,
                 "lambda": lam, "temper_intra": temper, "symmetric_mining": False, "negative_set_pruning": False,
                 "loss_term_weighing": False, "reduction": "mean over 2N rows"},
                diff=["zi", "zs"], aux_fn=aux)


@case("cmkm_loss")
def _():
    return cmkm_case(1, 1.0, False)


@case("cmkm_loss_tempered")
def _():
    return cmkm_case(1, 1.0, True)


@case("cmkm_loss_k2")
def _():
    return cmkm_case(2, 0.5, False)


# --------------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------------

README_HEAD = """# PyTorch parity fixtures

Generated by `tools/make_fixtures.py` (reference modules in `tools/torch_models.py`) with
Debian's PyTorch {torch_version}. Regenerate with

    /usr/bin/python3 tools/make_fixtures.py

(deterministic: `torch.manual_seed(0)` at the start of every case, so regenerating gives identical files
on the same PyTorch build).

## File format

safetensors: 8-byte little-endian u64 header length N (a multiple of 8; the JSON is padded with spaces),
N bytes of JSON `{{name: {{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}}, ...,
"__metadata__": {{...}}}}`, then the raw little-endian data (offsets relative to the start of the data
section, contiguous, in header order). Every tensor is F32, including integer targets and indices.
Scalars have shape `[]` (4 bytes).

`__metadata__` = `{{"op": <case name = file stem>, "config": <JSON string>, "mode": "train" | "eval"}}`.
`mode` matters only for modules with BatchNorm / dropout; stateless ops say `"train"`.

## How the reference values were computed

1. Inputs and parameters are drawn in **float32** (those float32 values are what is stored).
2. Module and inputs are cast to **float64**; forward and backward run in float64.
3. Results are rounded to float32 for storage, so `out` / `g.*` / `after.*` are the correctly rounded
   exact values for the stored inputs (see the tolerance notes below).
4. The backward pass is of `loss = (out * cot).sum()`.

### Tolerance notes

* Sanity check done at generation time: loading the `p.*` tensors into fresh PyTorch modules by name
  (`load_state_dict`) and re-running everything in **float32** PyTorch reproduces every stored tensor
  within 1.6e-5 of that tensor's max-abs (worst: `skeleton_encoder_small_train`; most cases < 5e-7),
  except the structurally-zero gradients below. A scale-aware comparison is recommended:
  `max|a - b| <= rtol * max|b|` per tensor, with rtol ~1e-5 for ops, ~1e-4 for the encoders.
* **Structurally-zero gradients**: the gradient of a bias that feeds directly into a *train-mode*
  BatchNorm (every `*.conv.bias` of the encoders / `conv_bn_relu_stack`, `linear1.bias` of
  `projection_head`, `{{inertial,skeleton}}.linear.bias` of `multimodal_classifier`) is exactly zero in exact
  arithmetic (BN subtracts the batch mean). The stored values are float64 rounding noise (~1e-14) and are
  flagged "structurally zero" below; a float32 engine gets ~1e-7 x the matching weight gradient. Compare them
  with an absolute tolerance, e.g. `max|a| <= 1e-5 * max|g.p.<same layer>.weight|`. In eval mode these
  gradients are genuinely non-zero.

## Tensor names

| name | meaning |
|---|---|
| `in.<name>` | inputs (`x`; `a`, `b` for binary ops; loss inputs `z1`, `z2`, `zi`, `zs`, `teacher_i`, `teacher_s`, `logits`, `target`; classifier `inertial`, `skeleton`) |
| `p.<state-dict name>` | parameters **and** buffers before the forward (`num_batches_tracked` is skipped; non-persistent buffers such as the positional-encoding table are not stored) |
| `out` | forward output |
| `cot` | cotangent, same shape as `out` |
| `g.in.<name>` | gradient w.r.t. each differentiable input (non-differentiable: `target`, `teacher_i`, `teacher_s`, `v1`, `v2`) |
| `g.p.<name>` | gradient w.r.t. each parameter (not buffers) |
| `after.<buffer>` | buffers after the forward (BatchNorm `running_mean` / `running_var`; equal to `p.*` in eval mode) |
| `aux.<name>` | extra reference values: `aux.mined_i` / `aux.mined_s` (N, k) = indices mined with the inertial / skeleton teacher |

Conventions:

* **Layouts**: conv1d `(B, C, L)`, conv2d `(B, C, H, W)`, conv weights `(out, in, k)` / `(out, in, kh, kw)`,
  linear weight `(out, in)` (y = x W^T + b). **Attention / transformer sequence tensors are stored
  batch-first `(B, L, E)`** (`in.x`, `out`, `cot`, `g.in.x`); the script permutes to PyTorch's
  seq-first `(L, B, E)` internally. The inertial encoder input is the conv layout `(B, C, 50)`.
* **MultiheadAttention**: `in_proj_weight` is `(3E, E)` with rows `[W_q; W_k; W_v]`, `in_proj_bias` `(3E)`,
  then `out_proj.weight` `(E, E)` and `out_proj.bias`. Heads split E into contiguous blocks of E/heads;
  scores scaled by `1/sqrt(E/heads)`.
* **TransformerEncoderLayer** (post-LN, ReLU): `x = norm1(x + SA(x)); x = norm2(x + linear2(relu(linear1(x))))`.
* **BatchNorm** (eps 1e-5, momentum 0.1): train mode normalises with the biased batch variance and updates
  `running_var` with the *unbiased* one: `r <- 0.9 r + 0.1 * var_unbiased`. Statistics are over all axes
  except 1. BN/LN affine parameters and running stats are randomised (not 1/0) so they are exercised;
  MHA `in_proj_bias` / `out_proj.bias` are randomised too.
* **Dropout**: modules with dropout use rate 0 in train-mode cases; eval-mode cases may carry a non-zero
  rate in the config (eval disables dropout).
* Module state names are the PyTorch state-dict names of `tools/torch_models.py`; the Swift modules use the
  same names (see the per-case lists below).

## Cases
"""


def describe(tensors, meta, spec, size):
    lines = [f"### `{meta['op']}`", "", f"mode `{meta['mode']}`, {size / 1024:.1f} KB", "",
             f"config: `{meta['config']}`", ""]
    lines.append("| tensor | shape | max abs |")
    lines.append("|---|---|---|")
    for k, v in tensors.items():
        mx = v.detach().to(torch.float64).abs().max().item() if v.numel() else 0.0
        note = " **structurally zero** (see tolerance notes)" if k.startswith("g.") and mx < ZERO_GRAD else ""
        lines.append(f"| `{k}` | {list(v.shape)} | {mx:.3g}{note} |")
    lines.append("")
    return "\n".join(lines)


MODEL_NAMES_DOC = """
## Module parameter names (full list, as in the encoder fixtures)

* `InertialEncoder(in_channels, channels=(c1,c2,c3), kernel, padding, heads, layers, ff, length, dropout)`:
  `conv{1,2,3}.conv.{weight,bias}`, `conv{1,2,3}.bn.{weight,bias,running_mean,running_var}`,
  `transformer.layers.{i}.self_attn.{in_proj_weight,in_proj_bias}`,
  `transformer.layers.{i}.self_attn.out_proj.{weight,bias}`, `transformer.layers.{i}.linear1.{weight,bias}`,
  `transformer.layers.{i}.linear2.{weight,bias}`, `transformer.layers.{i}.norm1.{weight,bias}`,
  `transformer.layers.{i}.norm2.{weight,bias}`.
  Forward: conv1..3 (Conv1d stride 1, padding p -> BN -> ReLU) -> permute to (L', B, E) -> `+ pe[:L']`,
  `pe[pos, 2i] = sin(pos / 10000^(2i/E))`, `pe[pos, 2i+1] = cos(pos / 10000^(2i/E))` -> dropout ->
  transformer layers -> permute to (B, E, L') -> flatten (index `e * L' + t`).
* `SkeletonEncoder(in_channels, joints, length, channels=(c1..c6))`: `conv{1,2,3,4}_{j,m}.conv.{weight,bias}`,
  `conv{1,2,3,4}_{j,m}.bn.{weight,bias,running_mean,running_var}`, `conv{5,6}.conv.*`, `conv{5,6}.bn.*`.
  Forward per stream (j = x, m = temporal difference with a zero first frame along dim 2):
  conv1 (1x1, BN, ReLU) -> conv2 ((3,1), BN, no ReLU) -> permute(0,3,1,2) -> conv3 (3x3, BN, MaxPool2d(2),
  no ReLU) -> conv4 (3x3, BN, MaxPool2d(2), no ReLU); then `cat((j, m), dim=2)` (along H) ->
  conv5 (3x3, BN, ReLU, MaxPool2d(2)) -> conv6 (same) -> flatten. All convs padding 0, stride 1; pools floor.
* `ProjectionHead(in, hidden, out)`: `linear1.*`, `bn.*`, `linear2.*` (Linear -> BN1d -> ReLU -> Linear).
* `MultiModalClassifier(in_inertial, in_skeleton, hidden, classes)`: `inertial.linear.*`, `inertial.bn.*`,
  `skeleton.linear.*`, `skeleton.bn.*`, `head.*`; output `head(cat(relu(bn(linear(xi))), relu(bn(linear(xs)))))`.
* `conv_bn_relu_stack`: an `nn.Sequential` of two Conv2d->BN2d->ReLU blocks, names `0.conv.*`, `0.bn.*`,
  `1.conv.*`, `1.bn.*`.

## Losses (scalar `out`, scalar `cot`)

* `nt_xent(z1, z2, tau)`: z = [z1; z2], s = cos(z, z)/tau with the diagonal removed; row k's positive is
  k+N mod 2N; loss = mean_k (logsumexp_{l != k} s_kl - s_k,pos).
* `simclr_loss(v1, v2)`: the SimCLR step's loss, tau 0.5, with the reduced skeleton encoder and a
  `ProjectionHead(32, 16, 8)` (names `encoder.*`, `head.*`): `nt_xent` of `head(encoder(cat(v1, v2)))` split
  into its halves — one forward over both views, so BatchNorm's batch statistics (and its running averages,
  `after.*`) are over 2N = 6 rows. The views are data: no `g.in.*`.
* `cmc_loss(zi, zs, tau)`: S = cos(zi, zs)/tau; 0.5 * (CE(S, arange) + CE(S^T, arange)).
* `cmkm_loss(zi, zs, teacher_i, teacher_s, tau, k, lambda, temper_intra)` (method.md §4.3): mining
  `P^m(i) = topk_j(cos(F_m, F_m)_ij - delta_ij, k)` on the teacher features (`aux.mined_i` = P^I,
  `aux.mined_s` = P^S). Inertial-anchor row i: cross positives {i} U P^S(i) over S[i, :]/tau, intra
  positives P^I(i) over T^I[i, :], cross negatives = the rest of S[i, :]/tau, intra negatives =
  T^I[i, j] for j not in {i} U P^I(i), weighted by lambda; `l = -log(num / (num + den))`.
  Skeleton-anchor row N+i: S[:, i] with cross positives {i} U P^I(i), intra T^S with P^S(i).
  Intra similarities are NOT divided by tau unless `temper_intra` (`cmkm_loss_tempered`). Mean over 2N rows.
  Sets are index sets (no double counting). The teacher features were checked to give top-k choices with
  gaps > 1e-3 (robust to float32) that never pick the anchor itself.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tm.check_parameter_counts(verbose=True)
    os.makedirs(args.out, exist_ok=True)
    names = [n for n, _ in CASES]
    assert len(set(names)) == len(names)
    total = 0
    docs = []
    for name, builder in CASES:
        if args.only and name not in args.only:
            continue
        tensors, meta, spec = run_case(name, builder)
        path = os.path.join(args.out, f"{name}.safetensors")
        write_safetensors(path, tensors, meta)
        back, bmeta = read_safetensors(path)
        assert bmeta == meta and list(back) == list(tensors)
        for k, v in tensors.items():
            assert torch.equal(back[k], v.detach().to(torch.float32)), (name, k)
        size = os.path.getsize(path)
        total += size
        assert size < MAX_FILE_BYTES, f"{name}: {size} bytes > {MAX_FILE_BYTES}"
        docs.append(describe(tensors, meta, spec, size))
        print(f"{name:34s} {len(tensors):3d} tensors {size / 1024:7.1f} KB  out {list(tensors['out'].shape)}")
    print(f"total {total / 1024:.1f} KB in {len(docs)} files")
    if not args.only:
        assert total < MAX_TOTAL_BYTES, total
        with open(os.path.join(args.out, "README.md"), "w") as f:
            f.write(README_HEAD.format(torch_version=torch.__version__))
            f.write("\n| case | mode | config |\n|---|---|---|\n")
            for name, _ in CASES:
                p = os.path.join(args.out, f"{name}.safetensors")
                _, m = read_safetensors(p)
                f.write(f"| `{name}` | {m['mode']} | `{m['config']}` |\n")
            f.write(MODEL_NAMES_DOC)
            f.write("\n## Per-case tensor lists\n\n")
            f.write("\n".join(docs))


if __name__ == "__main__":
    main()
