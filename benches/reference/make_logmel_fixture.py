#!/usr/bin/env python3
"""Writes tests/fixtures/logmel/: three short clips (WAV, float32) and their log-mel computed by
librosa exactly as the DCASE task 2 baseline does (float64 input, n_fft 1024, hop 512, 128 mels,
power 2, 10·log10(max(mel, eps))). Rerun: python3 benches/reference/make_logmel_fixture.py"""
import json
import os
import sys

import librosa
import numpy as np
import soundfile as sf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "logmel")
os.makedirs(OUT, exist_ok=True)
sr = 16000
rng = np.random.default_rng(7)
t = np.arange(int(1.5 * sr)) / sr
clips = {
    "tones_noise": 0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3150 * t) + 0.02 * rng.normal(size=t.size),
    "chirp": 0.5 * np.sin(2 * np.pi * (100 * t + 2500 * t ** 2)),
    "clicks": np.where(rng.uniform(size=t.size) < 0.002, 0.9, 0.0) + 0.005 * rng.normal(size=t.size),
}
meta = {"librosa": librosa.__version__, "clips": {}}
for name, y in clips.items():
    y = y.astype(np.float32)
    sf.write(os.path.join(OUT, f"{name}.wav"), y, sr, subtype="FLOAT")
    mel = librosa.feature.melspectrogram(y=y.astype(np.float64), sr=sr, n_fft=1024, hop_length=512, n_mels=128, power=2.0)
    logmel = 10.0 * np.log10(np.maximum(mel, sys.float_info.epsilon))
    meta["clips"][name] = logmel.T.reshape(-1).tolist()  # frame-major, like ours
with open(os.path.join(OUT, "logmel.json"), "w") as f:
    json.dump(meta, f)
print("wrote", os.path.normpath(OUT))
