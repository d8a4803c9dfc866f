#!/usr/bin/env python3
"""Writes tests/fixtures/bootstrap.json: bootstrap intervals computed by SciPy and scikit-learn,
to check Faultline's stratified bootstrap within Monte-Carlo tolerance.

- `auc_cases`: scipy.stats.bootstrap over the two classes as independent samples
  (paired=False: normals and anomalies resampled separately), method="percentile", of
  roc_auc_score and roc_auc_score(max_fpr=0.1).
- `ranking_case`: several machines, a reference and a planner source sharing each machine's
  normals. A plain NumPy loop resamples each machine's normals once per resample (shared by both
  sources) and each source's anomalies on their own, ranks machines by AUC and takes
  scipy.stats.spearmanr / kendalltau between the two rankings; percentile interval.

Rerun: python3 benches/reference/make_bootstrap_fixture.py (with scipy, scikit-learn)."""
import json
import os

import numpy as np
from scipy.stats import bootstrap, kendalltau, spearmanr
from sklearn.metrics import roc_auc_score

RESAMPLES = 4000
LEVEL = 0.95
rng = np.random.default_rng(2026)


def auc(neg, pos, max_fpr=None):
    y = np.r_[np.zeros(len(neg)), np.ones(len(pos))]
    return roc_auc_score(y, np.r_[neg, pos], max_fpr=max_fpr)


auc_cases = []
for k in range(6):
    n_neg, n_pos = int(rng.integers(10, 60)), int(rng.integers(10, 60))
    neg = rng.normal(0, 1, n_neg)
    pos = rng.normal(rng.uniform(0.2, 2.0), rng.uniform(0.7, 1.5), n_pos)
    if k % 2 == 0:  # ties, as quantised scores give
        neg, pos = np.round(neg, 1), np.round(pos, 1)
    case = {"normals": neg.tolist(), "anomalies": pos.tolist(), "auc": auc(neg, pos), "pauc": auc(neg, pos, 0.1)}
    for name, max_fpr in (("auc_ci", None), ("pauc_ci", 0.1)):
        res = bootstrap((neg, pos), lambda a, b: auc(a, b, max_fpr), paired=False, vectorized=False,
                        n_resamples=RESAMPLES, confidence_level=LEVEL, method="percentile", random_state=rng)
        case[name] = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
    auc_cases.append(case)

machines, per_class = 6, 30
shift = np.linspace(0.3, 1.8, machines)
planner_shift = shift + rng.normal(0, 0.5, machines)
data = []
for m in range(machines):
    data.append({
        "normals": rng.normal(0, 1, per_class).tolist(),
        "reference": rng.normal(shift[m], 1, per_class).tolist(),
        "planner": rng.normal(planner_shift[m], 1, per_class).tolist(),
    })


def aucs(source, draws):
    return [auc(np.asarray(d["normals"])[draws[m][0]], np.asarray(d[source])[draws[m][1 if source == "reference" else 2]]) for m, d in enumerate(data)]


rhos, taus = [], []
for _ in range(RESAMPLES):
    draws = [[rng.integers(0, per_class, per_class) for _ in range(3)] for _ in range(machines)]
    a, r = aucs("planner", draws), aucs("reference", draws)
    rhos.append(spearmanr(a, r)[0])
    taus.append(kendalltau(a, r)[0])
alpha = (1 - LEVEL) / 2
full = [[np.arange(per_class)] * 3 for _ in range(machines)]
a, r = aucs("planner", full), aucs("reference", full)
ranking_case = {
    "machines": data,
    "spearman": float(spearmanr(a, r)[0]),
    "kendall": float(kendalltau(a, r)[0]),
    "spearman_ci": np.nanpercentile(rhos, [100 * alpha, 100 * (1 - alpha)]).tolist(),
    "kendall_ci": np.nanpercentile(taus, [100 * alpha, 100 * (1 - alpha)]).tolist(),
}
out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "bootstrap.json")
with open(out, "w") as f:
    json.dump({"resamples": RESAMPLES, "level": LEVEL, "auc_cases": auc_cases, "ranking_case": ranking_case}, f)
print("wrote", os.path.normpath(out))
