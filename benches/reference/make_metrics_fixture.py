#!/usr/bin/env python3
"""Writes tests/fixtures/metrics.json: AUC and pAUC by scikit-learn, Spearman and Kendall by
SciPy, on seeded random cases with ties. Rerun: python3 benches/reference/make_metrics_fixture.py"""
import json
import os

import numpy as np
from scipy.stats import kendalltau, spearmanr
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(2507)
cases = []
for k in range(24):
    n_neg, n_pos = int(rng.integers(3, 60)), int(rng.integers(3, 60))
    labels = np.r_[np.zeros(n_neg, int), np.ones(n_pos, int)]
    scores = np.r_[rng.normal(0, 1, n_neg), rng.normal(rng.uniform(-0.5, 2.5), 1, n_pos)]
    if k % 3 == 0:  # ties, as quantised scores give
        scores = np.round(scores, 1)
    perm = rng.permutation(len(labels))
    labels, scores = labels[perm], scores[perm]
    cases.append({
        "labels": labels.tolist(), "scores": scores.tolist(),
        "auc": float(roc_auc_score(labels, scores)),
        "pauc": float(roc_auc_score(labels, scores, max_fpr=0.1)),
    })
rank_cases = []
for k in range(12):
    n = int(rng.integers(4, 12))
    a = rng.normal(size=n)
    b = a + rng.normal(scale=rng.uniform(0.1, 2.0), size=n)
    if k % 3 == 0:
        a, b = np.round(a), np.round(b)
    rank_cases.append({"a": a.tolist(), "b": b.tolist(),
                       "spearman": float(spearmanr(a, b)[0]), "kendall": float(kendalltau(a, b)[0])})
out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "metrics.json")
with open(out, "w") as f:
    json.dump({"cases": cases, "rank_cases": rank_cases}, f)
print("wrote", os.path.normpath(out))
