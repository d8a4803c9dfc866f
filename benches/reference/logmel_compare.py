#!/usr/bin/env python3
"""Log-mel speed and agreement, librosa against Faultline, on the same 10 s 16 kHz clip in one
run. Run through `cargo xtask bench-reference` or directly with librosa installed."""
import json
import os
import subprocess
import sys
import time

import librosa
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    rng = np.random.default_rng(1)
    y = (0.1 * rng.uniform(-1, 1, 160_000)).astype(np.float32)

    def theirs():
        mel = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=1024, hop_length=512, n_mels=128, power=2.0)
        return 10.0 * np.log10(np.maximum(mel, sys.float_info.epsilon))

    theirs()
    best = min(time_once(theirs) for _ in range(30))
    ours = json.loads(subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "detector_speed", "--", "100"],
                                     cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    print(f"librosa melspectrogram + log, 10 s clip: {best * 1e3:.2f} ms")
    print(f"faultline log-mel + stacking, 10 s clip: {ours['logmel_ms_per_10s_clip']:.2f} ms")
    print(f"ratio: {best * 1e3 / ours['logmel_ms_per_10s_clip']:.1f}x")


def time_once(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
