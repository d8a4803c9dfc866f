#!/usr/bin/env python3
"""Writes tests/fixtures/dcase_metrics.json: per-section DCASE metrics and official scores computed
the way the DCASE 2023-2025 Task 2 evaluator (nttcslab/dcase2023_task2_evaluator) does — AUC over
a section, AUC (source / target) from that domain's normal clips against every anomaly of the
section, pAUC (max_fpr 0.1, scikit-learn's standardised) over the section, and the official score
as scipy.stats.hmean over every machine's and section's AUC (source), AUC (target) and pAUC —
the DCASE 2021 official score (per domain: that domain's normals against its anomalies, AUC and
pAUC, all in one hmean), and the DCASE 2020 averages (arithmetic mean over machine ids of AUC and
pAUC).
Rerun: /path/to/venv/bin/python benches/reference/make_dcase_fixture.py"""
import json
import os
import sys

import numpy as np
from scipy.stats import hmean
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(2023)
clips = []
for machine in ["fan", "valve", "ToyCar"]:
    for section in ["00", "01", "02"]:
        shift = rng.uniform(0.2, 2.0)
        for domain, n_norm, n_anom in [("source", int(rng.integers(8, 40)), int(rng.integers(4, 20))), ("target", int(rng.integers(3, 12)), int(rng.integers(3, 12)))]:
            bias = 0.0 if domain == "source" else rng.uniform(-0.5, 0.8)
            for label, n in [(False, n_norm), (True, n_anom)]:
                for _ in range(n):
                    score = rng.normal(bias + (shift if label else 0.0), 1.0)
                    if len(clips) % 4 == 0:
                        score = round(score, 1)  # ties
                    clips.append({"machine": machine, "section": section, "domain": domain, "anomaly": label, "score": float(score)})

eps = sys.float_info.epsilon
sections = []
for machine in ["fan", "valve", "ToyCar"]:
    for section in ["00", "01", "02"]:
        c = [x for x in clips if x["machine"] == machine and x["section"] == section]
        y = np.array([x["anomaly"] for x in c], int)
        s = np.array([x["score"] for x in c])
        d = np.array([x["domain"] == "target" for x in c])
        row = {"machine": machine, "section": section,
               "auc_all": float(roc_auc_score(y, s)),
               "pauc": float(roc_auc_score(y, s, max_fpr=0.1))}
        for name, mask in [("source", ~d), ("target", d)]:
            keep = mask | (y != 0)
            row[f"auc_{name}"] = float(roc_auc_score(y[keep], s[keep]))
        sections.append(row)
official = float(hmean(np.maximum([r["auc_source"] for r in sections] + [r["auc_target"] for r in sections] + [r["pauc"] for r in sections], eps)))
hmean_source = float(hmean(np.maximum([r["auc_source"] for r in sections], eps)))
hmean_target = float(hmean(np.maximum([r["auc_target"] for r in sections], eps)))
# DCASE 2021: source and target test sets apart: per machine, section and domain, that domain's
# normals against that domain's anomalies, AUC and pAUC; the official score the hmean of them all.
per_domain = []
for machine in ["fan", "valve", "ToyCar"]:
    for section in ["00", "01", "02"]:
        for domain in ["source", "target"]:
            c = [x for x in clips if x["machine"] == machine and x["section"] == section and x["domain"] == domain]
            y = np.array([x["anomaly"] for x in c], int)
            s = np.array([x["score"] for x in c])
            per_domain += [roc_auc_score(y, s), roc_auc_score(y, s, max_fpr=0.1)]
official_2021 = float(hmean(np.maximum(per_domain, eps)))
dcase2020 = {}
for machine in ["fan", "valve", "ToyCar"]:
    rows = [r for r in sections if r["machine"] == machine]
    dcase2020[machine] = {"auc": float(np.mean([r["auc_all"] for r in rows])), "pauc": float(np.mean([r["pauc"] for r in rows]))}
out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "dcase_metrics.json")
with open(out, "w") as f:
    json.dump({"clips": clips, "sections": sections, "official_2023": official, "official_2021": official_2021, "hmean_source": hmean_source, "hmean_target": hmean_target, "dcase2020": dcase2020}, f)
print("wrote", os.path.normpath(out))
