#!/usr/bin/python3
"""The PyTorch peer of `mirage bench train`: the same model and the same train step in Python.

Model: the shared-encoder face-swap model of engine/model/faceswap_model.cpp (presets original
and lite), decoders with RGB + mask. Step: both identities, losses as engine/model/losses.cpp
(priority-weighted L1, DSSIM 7x7 Gaussian, mask MSE, edge L1), gradient clipping at norm 1,
Adam. Inputs are fixed random tensors (no augmentation cost is charged to the peer).

Forms:
  plain  eager fp32, NCHW; each identity through the encoder on its own
  tuned  both identities through the encoder as one batch, under bf16 autocast
  peaks  no model: this CPU's measured GEMM and oneDNN convolution peaks, fp32 and bf16, at the
         same thread count (best of a few runs), to put the step's GFLOP/s against

  python3 tools/bench/train_peer.py --preset original --batch 16 --form plain --steps 5
prints one JSON line: {"form": ..., "ms_per_step": ..., ...}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "lite": dict(resolution=64, encoder=[32, 64, 128, 256], dense=192, bottleneck=128, decoder=[96, 48, 24]),
    "original": dict(resolution=64, encoder=[128, 256, 512, 1024], dense=1024, bottleneck=512, decoder=[256, 128, 64]),
    "hd": dict(resolution=128, encoder=[64, 128, 256, 512, 1024], dense=1024, bottleneck=512, decoder=[256, 128, 64, 32]),
}


class Upscale(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 3, padding=1)

    def forward(self, x):
        return F.pixel_shuffle(F.leaky_relu(self.conv(x), 0.1), 2)


class Decoder(nn.Module):
    def __init__(self, cin, filters):
        super().__init__()
        layers = []
        for f in filters:
            layers.append(Upscale(cin, f))
            cin = f
        self.upscales = nn.Sequential(*layers)
        self.to_output = nn.Conv2d(cin, 4, 5, padding=2)

    def forward(self, x):
        return torch.sigmoid(self.to_output(self.upscales(x)))


class FaceSwapModel(nn.Module):
    def __init__(self, p):
        super().__init__()
        layers, cin = [], 3
        for f in p["encoder"]:
            layers += [nn.Conv2d(cin, f, 5, stride=2, padding=2), nn.LeakyReLU(0.1)]
            cin = f
        self.encoder = nn.Sequential(*layers)
        self.side = p["resolution"] >> len(p["encoder"])
        self.channels = cin
        flat = self.side * self.side * cin
        self.dense1 = nn.Linear(flat, p["dense"])
        self.dense2 = nn.Linear(p["dense"], flat)
        self.upscale = Upscale(cin, p["bottleneck"])
        self.decoders = nn.ModuleList([Decoder(p["bottleneck"], p["decoder"]) for _ in range(2)])

    def encode(self, x):
        h = self.encoder(x).flatten(1)
        h = self.dense2(self.dense1(h)).view(-1, self.channels, self.side, self.side)
        return self.upscale(h)


def gaussian_window(channels, device):
    x = torch.arange(7, dtype=torch.float32, device=device) - 3
    g = torch.exp(-(x * x) / (2 * 1.5 * 1.5))
    g = g / g.sum()
    return torch.outer(g, g).view(1, 1, 7, 7).repeat(channels, 1, 1, 1)


def dssim(a, b, w):
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    blur = lambda t: F.conv2d(t, w, groups=t.shape[1])
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    cov = blur(a * b) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return ((1 - ssim) / 2).mean()


def reconstruction_loss(out, target, hull, eyes, mouth, w):
    rgb, mask = out[:, :3].float(), out[:, 3:4].float()
    priority = 1 + 3.0 * eyes + 2.0 * mouth
    l1 = ((rgb - target).abs() * priority).mean()
    gx = lambda t: t[..., 1:] - t[..., :-1]
    gy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    edge = ((gx(rgb) - gx(target)).abs() * priority[..., 1:]).mean() + \
           ((gy(rgb) - gy(target)).abs() * priority[..., 1:, :]).mean()
    return l1 + 0.5 * (mask - hull).square().mean() + 0.1 * edge + dssim(rgb, target, w)


def measure_peaks(threads):
    """GFLOP/s of a 2048^3 GEMM and of a 3x3 convolution 256 -> 256 channels at 32x32, batch 32
    (the shape class of the decoders), in fp32 and bf16: the best of five runs each."""
    def best(fn, flop):
        fn()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return flop / min(times) / 1e9
    out = {}
    n = 2048
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.rand(n, n, dtype=dtype), torch.rand(n, n, dtype=dtype)
        out[f"{name} GEMM"] = best(lambda: a @ b, 2.0 * n ** 3)
        x = torch.rand(32, 256, 32, 32, dtype=dtype)
        w = torch.rand(256, 256, 3, 3, dtype=dtype)
        out[f"oneDNN conv {name}"] = best(lambda: F.conv2d(x, w, padding=1), 2.0 * 32 * 32 * 32 * 256 * 256 * 9)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="original", choices=PRESETS)
    parser.add_argument("--batch", type=int, default=16, help="faces per identity")
    parser.add_argument("--form", default="plain", choices=["plain", "tuned", "peaks"])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.form == "peaks":
        print(json.dumps({"form": "peaks", "threads": args.threads, "torch": torch.__version__,
                          "gflops": measure_peaks(args.threads)}))
        return
    torch.manual_seed(1)
    p = PRESETS[args.preset]
    r, n = p["resolution"], args.batch
    model = FaceSwapModel(p)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.999))
    w = gaussian_window(3, "cpu")
    data = [dict(warped=torch.rand(n, 3, r, r), target=torch.rand(n, 3, r, r),
                 hull=(torch.rand(n, 1, r, r) > 0.5).float(), eyes=(torch.rand(n, 1, r, r) > 0.9).float(),
                 mouth=(torch.rand(n, 1, r, r) > 0.9).float()) for _ in range(2)]

    def step():
        optimizer.zero_grad(set_to_none=True)
        if args.form == "plain":
            outs = [model.decoders[i](model.encode(data[i]["warped"])) for i in range(2)]
        else:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                latent = model.encode(torch.cat([data[0]["warped"], data[1]["warped"]]))
                outs = [model.decoders[0](latent[:n]), model.decoders[1](latent[n:])]
        loss = sum(reconstruction_loss(outs[i], data[i]["target"], data[i]["hull"], data[i]["eyes"],
                                       data[i]["mouth"], w) for i in range(2))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    ms = 1000 * sum(times) / len(times)
    print(json.dumps({"form": args.form, "preset": args.preset, "batch": n, "threads": args.threads,
                      "torch": torch.__version__, "ms_per_step": ms,
                      "samples_per_second": 2 * n * 1000 / ms, "loss": loss}))


if __name__ == "__main__":
    main()
