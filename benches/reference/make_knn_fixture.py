#!/usr/bin/env python3
"""Writes tests/fixtures/knn_reference.json: kNN anomaly scores as ASDKit's kNN backend computes
them, from scikit-learn — StandardScaler (population std), rows scaled to unit length,
NearestNeighbors(metric="cosine") fitted per domain, a clip's score the mean distance to its k
nearest neighbours in a domain, the minimum over the domains.

    python benches/reference/make_knn_fixture.py   (numpy, scikit-learn)
"""
import json
import os

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(7)
dims = 12
source = rng.normal(0.0, 1.0, (30, dims)) + np.linspace(0, 3, dims)
target = rng.normal(0.5, 1.5, (8, dims)) - np.linspace(0, 2, dims)
train = np.vstack([source, target]).astype(np.float32)
domains = ["source"] * len(source) + ["target"] * len(target)
test = np.vstack([
    rng.normal(0.0, 1.0, (5, dims)) + np.linspace(0, 3, dims),
    rng.normal(0.5, 1.5, (5, dims)) - np.linspace(0, 2, dims),
    rng.normal(0.0, 4.0, (5, dims)),
]).astype(np.float32)

scaler = StandardScaler().fit(train.astype(np.float64))
def prep(x):
    z = scaler.transform(x.astype(np.float64))
    return z / np.linalg.norm(z, axis=1, keepdims=True)

cases = []
for k in [1, 2, 4]:
    per_domain = []
    for d in ["source", "target"]:
        rows = prep(train[[i for i, x in enumerate(domains) if x == d]])
        nn = NearestNeighbors(n_neighbors=k, metric="cosine").fit(rows)
        dist, _ = nn.kneighbors(prep(test))
        per_domain.append(dist.mean(axis=1))
    cases.append({"k": k, "scores": np.min(per_domain, axis=0).tolist()})

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "knn_reference.json")
with open(out, "w") as f:
    json.dump({"train": train.tolist(), "train_domains": domains, "test": test.tolist(), "cases": cases}, f)
print("wrote", os.path.normpath(out))
