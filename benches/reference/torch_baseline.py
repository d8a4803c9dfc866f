#!/usr/bin/env python3
"""The PyTorch DCASE baseline beside Faultline's, in one run:

1. model files both ways: a Faultline model loads into torch's nn.Sequential (strict) and a
   torch state dict saved as safetensors loads into Faultline; scores agree;
2. training speed on the same feature vectors, same epochs and batch size, at 1 and 2 threads,
   with both AUCs (normal vs reference anomalies, mean over machines);
3. scoring one 10 s clip (309 vectors, MSE + Mahalanobis) on one thread.

Needs torch, librosa, scikit-learn, safetensors. Run: python3 benches/reference/torch_baseline.py
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import librosa
import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = int(os.environ.get("EPOCHS", "3"))
BIN = [os.path.join(ROOT, "target", "release", "faultline")]


def faultline(*args, env=None):
    return subprocess.run(BIN + list(args), check=True, capture_output=True, text=True, env=env).stdout


def vectors(path):
    y, sr = librosa.load(path, sr=16000, mono=True)
    mel = librosa.feature.melspectrogram(y=y.astype(np.float64), sr=sr, n_fft=1024, hop_length=512, n_mels=128, power=2.0)
    lm = (10.0 * np.log10(np.maximum(mel, sys.float_info.epsilon))).T.astype(np.float32)
    return np.stack([lm[i:i + 5].reshape(-1) for i in range(len(lm) - 4)])


def baseline():
    layers, dims = [], [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    for i in range(10):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i < 9:
            layers += [torch.nn.BatchNorm1d(dims[i + 1], momentum=0.01, eps=1e-3), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


def clips(data, split):
    out = []
    for m in sorted(os.listdir(data)):
        d = os.path.join(data, m, split)
        if os.path.isdir(d):
            out += [(m, os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".wav")]
    return out


def torch_scores(model, test):
    model.eval()
    with torch.no_grad():
        return [float(((model(torch.from_numpy(v)) - torch.from_numpy(v)) ** 2).mean()) for v in (vectors(p) for _, p in test)]


def mean_auc(test, scores):
    aucs = []
    for m in sorted({m for m, _ in test}):
        idx = [i for i, (mm, _) in enumerate(test) if mm == m]
        labels = [int("_anomaly_" in test[i][1]) for i in idx]
        aucs.append(roc_auc_score(labels, [scores[i] for i in idx]))
    return float(np.mean(aucs))


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "faultline"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    data = os.path.join(tmp, "data")
    faultline("synth", "--machine", "fan,pump,valve", "--count", "40", "--out", data, "--quiet")
    train_clips, test = clips(data, "train"), clips(data, "test")

    # 1. Faultline model → torch.
    ours = os.path.join(tmp, "ours.safetensors")
    faultline("train", "--data", data, "--out", ours, "--epochs", "2", "--quiet")
    state = {k: v for k, v in load_file(ours).items() if not k.startswith("mahalanobis.")}
    net = baseline()
    net.load_state_dict(state, strict=True)
    faultline("score", "--model", ours, "--data", data, "--out", tmp)
    ours_scores = {}
    for m in ("fan", "pump", "valve"):
        for line in open(os.path.join(tmp, f"anomaly_score_{m}_section_00_test.csv")):
            name, score = line.strip().split(",")
            ours_scores[(m, name)] = float(score)
    theirs = torch_scores(net, test)
    rel = max(abs(t - ours_scores[(m, os.path.basename(p))]) / t for (m, p), t in zip(test, theirs))
    print(f"faultline model in torch: {len(state)} tensors loaded strictly; max relative score difference {rel:.2e}")

    # 1b. torch state dict → Faultline.
    torch_file = os.path.join(tmp, "torch.safetensors")
    save_file({k: v.contiguous() for k, v in baseline().state_dict().items()}, torch_file)
    faultline("score", "--model", torch_file, "--data", data, "--out", tmp)
    print("torch state dict scored by faultline: ok")

    # 2. Training speed on the same vectors.
    x = np.concatenate([vectors(p) for _, p in train_clips])
    print(f"{len(train_clips)} clips, {len(x)} vectors, {EPOCHS} epochs, batch 256")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        net = baseline()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        xt = torch.from_numpy(x)
        t = time.perf_counter()
        for _ in range(EPOCHS):
            net.train()
            for idx in torch.randperm(len(xt)).split(256):
                if len(idx) < 2:
                    continue
                b = xt[idx]
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(b), b)
                loss.backward()
                opt.step()
        torch_s = time.perf_counter() - t
        torch_auc = mean_auc(test, torch_scores(net, test))
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        model = os.path.join(tmp, f"ours{threads}.safetensors")
        t = time.perf_counter()
        # No validation split: the same vectors and work as the torch loop above.
        log = subprocess.run(BIN + ["train", "--data", data, "--out", model, "--epochs", str(EPOCHS), "--threads", str(threads),
                                    "--validation-split", "0"], check=True, capture_output=True, text=True, env=env).stderr
        ours_total = time.perf_counter() - t
        ours_s = float(re.search(r"epochs in ([0-9.]+) s", log).group(1))
        faultline("score", "--model", model, "--data", data, "--out", tmp)
        s = []
        for m, p in test:
            for line in open(os.path.join(tmp, f"anomaly_score_{m}_section_00_test.csv")):
                name, score = line.strip().split(",")
                if name == os.path.basename(p):
                    s.append(float(score))
        print(f"threads {threads}: torch {torch_s:.1f} s (AUC {torch_auc:.3f}), faultline {ours_s:.1f} s "
              f"({ours_total:.1f} s with reading clips, features and the Mahalanobis fit; AUC {mean_auc(test, s):.3f}); "
              f"speed ratio {torch_s / ours_s:.2f}x")

    # 3. Scoring one clip, one thread.
    torch.set_num_threads(1)
    net = baseline().eval()
    x = torch.randn(309, 640)
    inv = torch.eye(128, dtype=torch.float64)

    def score():
        with torch.no_grad():
            r = x - net(x)
            d = r.reshape(-1, 128).double()
            return float((r ** 2).mean()), float(((d @ inv) * d).sum(1).mean())

    for _ in range(5):
        score()
    best = min(timed(score) for _ in range(50))
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    ours = json.loads(subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "detector_speed", "--", "10"],
                                     cwd=ROOT, check=True, capture_output=True, text=True, env=env).stdout)
    print(f"score one clip, 1 thread: torch {best * 1e3:.2f} ms, faultline {ours['score_ms_per_clip']:.2f} ms; "
          f"ratio {best * 1e3 / ours['score_ms_per_clip']:.2f}x")


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
