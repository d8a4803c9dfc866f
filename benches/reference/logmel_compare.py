#!/usr/bin/env python3
"""Log-mel speed and agreement, librosa against Faultline, on the same 10 s 16 kHz clip in one
run: librosa on its one thread; ours on one thread and on every core (the frames of a clip are
split over rayon's threads). Run through `cargo xtask bench-reference` or directly with librosa
installed."""
import json
import os
import subprocess
import sys
import tempfile
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
    tmp = tempfile.mkdtemp()
    clip, spec = os.path.join(tmp, "clip.f32"), os.path.join(tmp, "spec.f32")
    y.astype("<f4").tofile(clip)
    subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "detector_speed"], cwd=ROOT, check=True)
    # Alternating rounds, best of each side: a slow spell on this shared VM then hits both.
    best, ours = float("inf"), None
    for _ in range(3):
        best = min(best, min(time_once(theirs) for _ in range(20)))
        run = json.loads(subprocess.run([os.path.join(ROOT, "target", "release", "examples", "detector_speed"), "10", "1", clip, spec],
                                        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        ours = run if ours is None else {k: min(v, run[k]) if k.endswith("_ms") or "_ms_" in k else v for k, v in ours.items()}
    mine = np.fromfile(spec, dtype="<f4").reshape(-1, 128)
    print(f"librosa melspectrogram + log, 10 s clip (one thread): {best * 1e3:.2f} ms")
    one, every = ours["spectrogram_ms_1_thread"], ours["spectrogram_ms_all_threads"]
    print(f"faultline log-mel spectrogram, one thread:  {one:.3f} ms  ratio {best * 1e3 / one:.1f}x")
    print(f"faultline log-mel spectrogram, {ours['cores']} threads:  {every:.3f} ms  ratio {best * 1e3 / every:.1f}x")
    print(f"faultline log-mel + stacking into vectors ({ours['cores']} threads): {ours['logmel_ms_per_10s_clip']:.3f} ms")
    print(f"max |ours - librosa| on this clip: {np.abs(mine - theirs().T).max():.2e} dB (goal <= 1e-3)")


def time_once(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
