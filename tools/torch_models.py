#!/usr/bin/python3
"""PyTorch reference modules and losses for cmc (CMC-CMKM re-implementation).

Written from /work/shared/docs/method.md (§3 architectures, §4 losses). These are the
*reference* the Swift engine is checked against (tools/make_fixtures.py) and benchmarked
against (tools/bench_torch.py). State-dict names are part of the contract: the Swift
modules use exactly the same parameter / buffer names.

Run with Debian's interpreter: `/usr/bin/python3 tools/torch_models.py` runs the self-checks
(parameter counts of the full-size encoders, output shapes).

Parameter names (state_dict, `num_batches_tracked` ignored everywhere):

InertialEncoder (§3.1)
    conv{1,2,3}.conv.weight (out, in, k), conv{1,2,3}.conv.bias
    conv{1,2,3}.bn.weight / .bias / .running_mean / .running_var
    transformer.layers.{i}.self_attn.in_proj_weight (3E, E)   rows = [W_q; W_k; W_v]
    transformer.layers.{i}.self_attn.in_proj_bias   (3E,)
    transformer.layers.{i}.self_attn.out_proj.weight (E, E), .out_proj.bias (E,)
    transformer.layers.{i}.linear1.weight (ff, E), .linear1.bias (ff,)
    transformer.layers.{i}.linear2.weight (E, ff), .linear2.bias (E,)
    transformer.layers.{i}.norm1.weight/.bias (E,), .norm2.weight/.bias (E,)
    (the positional-encoding table `pos_encoding.pe` is a non-persistent buffer: not saved)

SkeletonEncoder (§3.2)
    conv{1,2,3,4}_{j,m}.conv.weight/.bias, conv{1,2,3,4}_{j,m}.bn.{weight,bias,running_mean,running_var}
    conv{5,6}.conv.weight/.bias, conv{5,6}.bn.{...}

ProjectionHead (§3.3): linear1.{weight,bias}, bn.{weight,bias,running_mean,running_var}, linear2.{weight,bias}

MultiModalClassifier (§3.4): inertial.linear.*, inertial.bn.*, skeleton.linear.*, skeleton.bn.*, head.*
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


class ConvBNReLU1d(nn.Module):
    """Conv1d -> BatchNorm1d -> ReLU. Names: `conv`, `bn`."""

    def __init__(self, cin, cout, kernel, stride=1, padding=1):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, padding=padding)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvBN2d(nn.Module):
    """Conv2d (padding 0, stride 1) -> BatchNorm2d -> [ReLU] -> [MaxPool2d(2)].

    Only `conv` and `bn` carry state; ReLU / pooling are flags (they have no parameters).
    """

    def __init__(self, cin, cout, kernel, relu, pool, padding=0, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu
        self.pool = pool

    def forward(self, x):
        x = self.bn(self.conv(x))
        if self.relu:
            x = F.relu(x)
        if self.pool:
            x = F.max_pool2d(x, 2)
        return x


class ConvBNReLU2d(ConvBN2d):
    """Conv2d -> BatchNorm2d -> ReLU (used by the `conv_bn_relu_stack` fixture)."""

    def __init__(self, cin, cout, kernel, padding=0, stride=1):
        super().__init__(cin, cout, kernel, relu=True, pool=False, padding=padding, stride=stride)


def sinusoidal_table(max_len, d_model, dtype=torch.float64):
    """pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(pos / 10000^(2i/d)).

    Computed in float64; returned with shape (max_len, d_model).
    """
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    div = torch.exp(two_i * (-math.log(10000.0) / d_model))  # = 10000^(-2i/d)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : d_model // 2]
    return pe.to(dtype)


class PositionalEncoding(nn.Module):
    """x (L, B, E) seq-first -> dropout(x + pe[:L]). The table is a non-persistent buffer."""

    def __init__(self, d_model, max_len=50, dropout=0.1):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_table(max_len, d_model, torch.get_default_dtype()).unsqueeze(1),
                             persistent=False)

    def rebuild(self):
        """Recompute the table from float64 in the buffer's current dtype (call after .double())."""
        self.pe = sinusoidal_table(self.max_len, self.d_model).unsqueeze(1).to(self.pe.dtype)

    def forward(self, x):
        return self.dropout(x + self.pe[: x.shape[0]])


# --------------------------------------------------------------------------------------------
# Encoders (§3.1, §3.2)
# --------------------------------------------------------------------------------------------


class InertialEncoder(nn.Module):
    """CNNTransformer (§3.1). Input (B, C_in, L=50) -> output (B, E * L') channel-major flatten,
    L' = L - 3 * (kernel - 1 - 2 * padding) (= 44 for k=5, p=1)."""

    def __init__(self, in_channels=6, channels=(32, 64, 128), kernel=5, padding=1, heads=2, layers=2,
                 ff=2048, length=50, dropout=0.1):
        super().__init__()
        c1, c2, c3 = channels
        self.conv1 = ConvBNReLU1d(in_channels, c1, kernel, padding=padding)
        self.conv2 = ConvBNReLU1d(c1, c2, kernel, padding=padding)
        self.conv3 = ConvBNReLU1d(c2, c3, kernel, padding=padding)
        self.pos_encoding = PositionalEncoding(c3, max_len=length, dropout=dropout)
        layer = nn.TransformerEncoderLayer(d_model=c3, nhead=heads, dim_feedforward=ff, dropout=dropout)
        self.transformer = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.out_length = length - 3 * (kernel - 1 - 2 * padding)
        self.out_size = c3 * self.out_length

    def forward(self, x):
        x = self.conv3(self.conv2(self.conv1(x)))  # (B, E, L')
        x = x.permute(2, 0, 1)  # (L', B, E)
        x = self.pos_encoding(x)
        x = self.transformer(x)  # (L', B, E)
        x = x.permute(1, 2, 0)  # (B, E, L')
        return torch.flatten(x, 1)  # idx = e * L' + t


class SkeletonEncoder(nn.Module):
    """HCN-style two-stream co-occurrence CNN (§3.2). Input (B, C, L, J) -> (B, out_size).

    channels = (c1..c6). Spatial bookkeeping: after conv2 + permute the H axis has size c2,
    so c2 >= 26 is needed for the stack to be valid (full size uses 32).
    """

    def __init__(self, in_channels=3, joints=20, length=50, channels=(64, 32, 32, 64, 128, 256)):
        super().__init__()
        c1, c2, c3, c4, c5, c6 = channels
        for s in ("j", "m"):
            setattr(self, f"conv1_{s}", ConvBN2d(in_channels, c1, (1, 1), relu=True, pool=False))
            setattr(self, f"conv2_{s}", ConvBN2d(c1, c2, (3, 1), relu=False, pool=False))
            setattr(self, f"conv3_{s}", ConvBN2d(joints, c3, (3, 3), relu=False, pool=True))
            setattr(self, f"conv4_{s}", ConvBN2d(c3, c4, (3, 3), relu=False, pool=True))
        self.conv5 = ConvBN2d(c4, c5, (3, 3), relu=True, pool=True)
        self.conv6 = ConvBN2d(c5, c6, (3, 3), relu=True, pool=True)
        self.in_channels, self.joints, self.length = in_channels, joints, length
        # Shape bookkeeping without touching BN statistics.
        h, w = c2, length - 2
        h, w = (h - 2) // 2, (w - 2) // 2  # conv3 + pool
        h, w = (h - 2) // 2, (w - 2) // 2  # conv4 + pool
        h = 2 * h  # cat along H
        h, w = (h - 2) // 2, (w - 2) // 2  # conv5 + pool
        h, w = (h - 2) // 2, (w - 2) // 2  # conv6 + pool
        if h < 1 or w < 1:
            raise ValueError(f"SkeletonEncoder: channels={channels} length={length} give an empty output")
        self.out_hw = (h, w)
        self.out_size = c6 * h * w

    @staticmethod
    def motion(x):
        """m[:, :, t] = x[:, :, t] - x[:, :, t-1] for t >= 1, m[:, :, 0] = 0 (time is dim 2)."""
        m = torch.zeros_like(x)
        m[:, :, 1:] = x[:, :, 1:] - x[:, :, :-1]
        return m

    def _stream(self, x, s):
        x = getattr(self, f"conv1_{s}")(x)
        x = getattr(self, f"conv2_{s}")(x)  # (B, c2, L-2, J)
        x = x.permute(0, 3, 1, 2)  # (B, J, c2, L-2)
        x = getattr(self, f"conv3_{s}")(x)
        x = getattr(self, f"conv4_{s}")(x)
        return x

    def forward(self, x):
        j = self._stream(x, "j")
        m = self._stream(self.motion(x), "m")
        y = torch.cat((j, m), dim=2)  # along H
        y = self.conv6(self.conv5(y))
        return torch.flatten(y, 1)


# --------------------------------------------------------------------------------------------
# Heads (§3.3, §3.4)
# --------------------------------------------------------------------------------------------


class ProjectionHead(nn.Module):
    """Linear(in->hidden) -> BatchNorm1d -> ReLU -> Linear(hidden->out)."""

    def __init__(self, in_features, hidden=256, out=128):
        super().__init__()
        self.linear1 = nn.Linear(in_features, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.linear2 = nn.Linear(hidden, out)

    def forward(self, x):
        return self.linear2(F.relu(self.bn(self.linear1(x))))


class LinearBNReLU(nn.Module):
    """Linear -> BatchNorm1d -> ReLU. Names: `linear`, `bn`."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features)

    def forward(self, x):
        return F.relu(self.bn(self.linear(x)))


class MultiModalClassifier(nn.Module):
    """Late fusion: [inertial branch, skeleton branch] (concat in that order) -> Linear."""

    def __init__(self, in_inertial, in_skeleton, hidden=256, classes=27):
        super().__init__()
        self.inertial = LinearBNReLU(in_inertial, hidden)
        self.skeleton = LinearBNReLU(in_skeleton, hidden)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, xi, xs):
        return self.head(torch.cat((self.inertial(xi), self.skeleton(xs)), dim=1))


# --------------------------------------------------------------------------------------------
# Losses (§4)
# --------------------------------------------------------------------------------------------


def cosine_matrix(a, b):
    """S[i, j] = cos(a_i, b_j) via F.normalize (eps 1e-12)."""
    return F.normalize(a, dim=1) @ F.normalize(b, dim=1).T


def nt_xent(z1, z2, tau):
    """SimCLR NT-Xent (§4.1). z = [z1; z2] (2N rows); row k's positive is k+N mod 2N;
    l_k = -log(exp(s_kp/tau) / sum_{l != k} exp(s_kl/tau)); mean over 2N rows."""
    n = z1.shape[0]
    z = torch.cat((z1, z2), dim=0)
    s = cosine_matrix(z, z) / tau
    eye = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    s = s.masked_fill(eye, float("-inf"))
    pos_idx = (torch.arange(2 * n, device=z.device) + n) % (2 * n)
    pos = s[torch.arange(2 * n, device=z.device), pos_idx]
    return (torch.logsumexp(s, dim=1) - pos).mean()


def cmc_loss(zi, zs, tau):
    """CMC, 2 modalities (§4.2). S = cos(zi, zs)/tau; rows 1..N: CE(S[i,:], i); rows N+i: CE(S[:,i], i);
    mean over 2N rows."""
    s = cosine_matrix(zi, zs) / tau
    target = torch.arange(zi.shape[0], device=zi.device)
    return 0.5 * (F.cross_entropy(s, target) + F.cross_entropy(s.T, target))


def mine_positives(teacher_features, k=1):
    """P(i) = topk_j(A_ij - delta_ij, k), A = cos(F, F) of the teacher features. Returns (N, k) long."""
    a = cosine_matrix(teacher_features, teacher_features)
    a = a - torch.eye(a.shape[0], dtype=a.dtype, device=a.device)
    return torch.topk(a, k=k, dim=1).indices


def _masked_logsumexp(x, mask):
    return torch.logsumexp(x.masked_fill(~mask, float("-inf")), dim=1)


def cmkm_loss(zi, zs, teacher_fi, teacher_fs, tau, k=1, lam=1.0, temper_intra=False, return_mined=False):
    """CMC-CMKM loss (§4.3), training mode, non-symmetric positive mining, intra-modal negatives,
    no negative-set pruning, no loss-term weighting.

    Row i (inertial anchor), with S = cos(zi, zs), T^I = cos(zi, zi), P^m = mine_positives(teacher_fm, k):
        Pos_x  = {i} U P^S(i)            Neg_x  = {1..N} \\ Pos_x               (over S[i, :] / tau)
        Pos_in = P^I(i)                  Neg_in = {1..N} \\ ({i} U P^I(i))      (over T^I[i, :] [/ tau])
        num = sum_{Pos_x} e^{S/tau} + sum_{Pos_in} e^{T}
        den = sum_{Neg_x} e^{S/tau} + lam * sum_{Neg_in} e^{T}
        l_i = -log(num / (num + den))
    Row N+i (skeleton anchor): same with S[:, i] (i.e. S^T), P^I for the cross positives, T^S and P^S intra.
    Intra-modal similarities are NOT divided by tau unless temper_intra=True. Sets are index sets
    (a mined index equal to an existing member is not counted twice). Mean over 2N rows.
    """
    n = zi.shape[0]
    dev = zi.device
    p_i = mine_positives(teacher_fi, k)  # (N, k) mined with the inertial teacher
    p_s = mine_positives(teacher_fs, k)  # (N, k) mined with the skeleton teacher
    rows = torch.arange(n, device=dev).unsqueeze(1)
    eye = torch.eye(n, dtype=torch.bool, device=dev)

    def mask_of(idx):
        m = torch.zeros(n, n, dtype=torch.bool, device=dev)
        m[rows, idx] = True
        return m

    s = cosine_matrix(zi, zs)
    cross = torch.cat((s, s.T), dim=0) / tau  # (2N, N)
    t_i = cosine_matrix(zi, zi)
    t_s = cosine_matrix(zs, zs)
    intra = torch.cat((t_i, t_s), dim=0)  # (2N, N)
    if temper_intra:
        intra = intra / tau

    pos_x = torch.cat((eye | mask_of(p_s), eye | mask_of(p_i)), dim=0)
    neg_x = ~pos_x
    pos_in = torch.cat((mask_of(p_i), mask_of(p_s)), dim=0)
    neg_in = ~(torch.cat((eye, eye), dim=0) | pos_in)

    log_num = torch.logsumexp(torch.cat((cross.masked_fill(~pos_x, float("-inf")),
                                         intra.masked_fill(~pos_in, float("-inf"))), dim=1), dim=1)
    parts = [cross.masked_fill(~neg_x, float("-inf"))]
    if lam > 0:
        parts.append((intra + math.log(lam)).masked_fill(~neg_in, float("-inf")))
    log_den = torch.logsumexp(torch.cat(parts, dim=1), dim=1)
    # -log(num / (num + den)) = logaddexp(log_num, log_den) - log_num
    loss = (torch.logaddexp(log_num, log_den) - log_num).mean()
    if return_mined:
        return loss, p_i, p_s
    return loss


def cmkm_loss_naive(zi, zs, teacher_fi, teacher_fs, tau, k=1, lam=1.0, temper_intra=False):
    """Direct exp/sum transcription of §4.3 (no log-sum-exp), used only to cross-check cmkm_loss."""
    n = zi.shape[0]
    p_i = mine_positives(teacher_fi, k).tolist()
    p_s = mine_positives(teacher_fs, k).tolist()
    s = cosine_matrix(zi, zs)
    t = {"i": cosine_matrix(zi, zi), "s": cosine_matrix(zs, zs)}
    it = tau if temper_intra else 1.0
    losses = []
    for anchor in ("i", "s"):
        for i in range(n):
            if anchor == "i":
                cross_row, mined_x, mined_in = s[i, :], p_s[i], p_i[i]
            else:
                cross_row, mined_x, mined_in = s[:, i], p_i[i], p_s[i]
            intra_row = t[anchor][i, :]
            pos_x = {i} | set(mined_x)
            pos_in = set(mined_in)
            neg_in = set(range(n)) - ({i} | pos_in)
            num = sum(torch.exp(cross_row[j] / tau) for j in pos_x) + sum(torch.exp(intra_row[j] / it) for j in pos_in)
            den = sum(torch.exp(cross_row[j] / tau) for j in range(n) if j not in pos_x) \
                + lam * sum(torch.exp(intra_row[j] / it) for j in neg_in)
            losses.append(-torch.log(num / (num + den)))
    return torch.stack(losses).mean()


# --------------------------------------------------------------------------------------------
# Helpers shared by the scripts
# --------------------------------------------------------------------------------------------


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())


def rebuild_positional_tables(module):
    for m in module.modules():
        if isinstance(m, PositionalEncoding):
            m.rebuild()


# Numbers stated in method.md §3.1 / §3.2.
FULL_INERTIAL_PARAMS_UTD = 1_238_880
FULL_INERTIAL_PARAMS_MMACT = 1_239_840
FULL_SKELETON_PARAMS_UTD = 432_000
FULL_SKELETON_PARAMS_MMACT = 430_144


def check_parameter_counts(verbose=True):
    """Asserts the full-size parameter counts of method.md §3 and the output sizes."""
    results = {}
    for name, enc, want, out in [
        ("inertial_utd", InertialEncoder(in_channels=6), FULL_INERTIAL_PARAMS_UTD, 5632),
        ("inertial_mmact", InertialEncoder(in_channels=12), FULL_INERTIAL_PARAMS_MMACT, 5632),
        ("skeleton_utd", SkeletonEncoder(in_channels=3, joints=20), FULL_SKELETON_PARAMS_UTD, 256),
        ("skeleton_mmact", SkeletonEncoder(in_channels=2, joints=17), FULL_SKELETON_PARAMS_MMACT, 256),
    ]:
        got = count_parameters(enc)
        assert got == want, f"{name}: {got} parameters, method.md says {want}"
        assert enc.out_size == out, f"{name}: out_size {enc.out_size} != {out}"
        results[name] = got
        if verbose:
            print(f"{name:16s} params {got:>9,d}  out_size {enc.out_size}")
    return results


if __name__ == "__main__":
    torch.manual_seed(0)
    check_parameter_counts()
    # Shape checks with real forward passes (eval mode: no BN stat updates).
    ie = InertialEncoder().eval()
    se = SkeletonEncoder().eval()
    with torch.no_grad():
        assert ie(torch.randn(2, 6, 50)).shape == (2, 5632)
        assert se(torch.randn(2, 3, 50, 20)).shape == (2, 256)
        assert SkeletonEncoder(2, 17).eval()(torch.randn(2, 2, 50, 17)).shape == (2, 256)
    # Loss cross-checks.
    torch.manual_seed(1)
    zi, zs = torch.randn(6, 8, dtype=torch.float64), torch.randn(6, 8, dtype=torch.float64)
    ti, ts = torch.rand(6, 12, dtype=torch.float64), torch.rand(6, 10, dtype=torch.float64)
    for kw in ({}, {"temper_intra": True}, {"k": 2, "lam": 0.5}):
        a = cmkm_loss(zi, zs, ti, ts, 0.1, **kw)
        b = cmkm_loss_naive(zi, zs, ti, ts, 0.1, **kw)
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12), (kw, a, b)
    # NT-Xent as cross-entropy over [pos, negatives] with target 0 (the §4.1 implementation note).
    z = F.normalize(torch.cat((zi, zs)), dim=1)
    sim = z @ z.T
    n2 = z.shape[0]
    rows = []
    for k in range(n2):
        pos = sim[k, (k + n2 // 2) % n2]
        negs = [sim[k, l] for l in range(n2) if l != k and l != (k + n2 // 2) % n2]
        rows.append(torch.stack([pos] + negs))
    ce = F.cross_entropy(torch.stack(rows) / 0.5, torch.zeros(n2, dtype=torch.long))
    assert torch.allclose(ce, nt_xent(zi, zs, 0.5), rtol=1e-12)
    # CMC as the explicit double sum of §4.2.
    S = cosine_matrix(zi, zs) / 0.1
    n = S.shape[0]
    ref = sum(-torch.log(torch.exp(S[i, i]) / torch.exp(S[i, :]).sum())
              - torch.log(torch.exp(S[i, i]) / torch.exp(S[:, i]).sum()) for i in range(n)) / (2 * n)
    assert torch.allclose(ref, cmc_loss(zi, zs, 0.1), rtol=1e-12)
    print("shape and loss self-checks passed")
