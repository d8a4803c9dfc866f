"""Decision thresholds as the DCASE baseline computes them: scipy.stats.gamma.fit of the normal
scores (shape, loc, scale all free), then gamma.ppf(0.9). Writes tests/fixtures/gamma.json.

Run: target/benchvenv/bin/python benches/reference/make_gamma_fixture.py
"""
import json
import pathlib

import numpy as np
import scipy.stats

rng = np.random.default_rng(7)
cases = []
for name, sample in [
    ("shape5", rng.gamma(5.0, 2.0, 400) + 3.0),
    ("shape2", rng.gamma(2.0, 0.5, 300) + 10.0),
    ("shape20", rng.gamma(20.0, 0.1, 500)),
    ("mse_like", np.exp(rng.normal(3.0, 0.3, 200))),
    ("small", rng.gamma(3.0, 1.0, 30) + 1.0),
]:
    a, loc, scale = scipy.stats.gamma.fit(sample)
    cases.append({
        "name": name,
        "scores": sample.tolist(),
        "shape": a, "loc": loc, "scale": scale,
        "threshold": float(scipy.stats.gamma.ppf(0.9, a, loc=loc, scale=scale)),
        "empirical_q90": float(np.quantile(sample, 0.9)),
        "nll": float(scipy.stats.gamma.nnlf((a, loc, scale), sample)),
    })
out = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/gamma.json"
out.write_text(json.dumps({"scipy": scipy.__version__, "cases": cases}))
for c in cases:
    print(c["name"], c["shape"], c["loc"], c["scale"], c["threshold"], c["empirical_q90"], c["nll"])
