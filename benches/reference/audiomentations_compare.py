#!/usr/bin/env python3
"""Times audiomentations' closest transforms and Faultline's on the same 10 s of 48 kHz audio,
in one run, and prints our speed / theirs. Run through `cargo xtask bench-reference`, or:

    python3 benches/reference/audiomentations_compare.py   (with audiomentations installed)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile  # noqa: F401  (audiomentations' dependency; imported to fail early)
from audiomentations import (AddGaussianNoise, BandPassFilter, ClippingDistortion, PeakingFilter,
                             PitchShift, TanhDistortion)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SR = 48_000

# Ours → theirs: the closest counterpart of each Faultline transform.
PAIRS = [
    ("band_noise", "AddGaussianNoise", lambda: AddGaussianNoise(min_amplitude=0.01, max_amplitude=0.01, p=1.0)),
    ("resonance", "PeakingFilter", lambda: PeakingFilter(min_center_freq=900, max_center_freq=900, p=1.0)),
    ("band_noise", "BandPassFilter", lambda: BandPassFilter(min_center_freq=3000, max_center_freq=3000, p=1.0)),
    ("pitch_shift", "PitchShift", lambda: PitchShift(min_semitones=-2, max_semitones=-2, p=1.0)),
    ("saturation", "TanhDistortion", lambda: TanhDistortion(min_distortion=0.5, max_distortion=0.5, p=1.0)),
    ("saturation", "ClippingDistortion", lambda: ClippingDistortion(min_percentile_threshold=10, max_percentile_threshold=10, p=1.0)),
]


def best_time(fn, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "input.wav")
        out = subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "transform_speed", "--", wav],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)
        import soundfile as sf
        samples, sr = sf.read(wav, dtype="float32")
        assert sr == SR and len(samples) == 10 * SR
    seconds = len(samples) / SR
    print(f"{'faultline':<14} {'x realtime':>11} | {'audiomentations':<20} {'x realtime':>11} | ratio")
    worst = float("inf")
    for our_name, their_name, make in PAIRS:
        t = make()
        t(samples=samples, sample_rate=SR)  # warm-up (filter design, caches)
        theirs = seconds / best_time(lambda: t(samples=samples, sample_rate=SR), 3 if their_name == "PitchShift" else 5)
        ratio = ours[our_name] / theirs
        worst = min(worst, ratio)
        print(f"{our_name:<14} {ours[our_name]:>10.0f}x | {their_name:<20} {theirs:>10.0f}x | {ratio:5.1f}x")
    print(f"chain of 4: {ours['chain4']:.0f}x real time; lowest ratio {worst:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
