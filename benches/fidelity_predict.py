"""How much of a planner's ranking its choice of functions explains. For each machine, the
functions a planner's plans used (read from the rendered clips' sidecars) are looked up in the
premise tables (each function alone on every machine at catalog defaults: one intensity, one
level, one cell change) and their AUCs averaged; Spearman ρ of that prediction against the
reference AUC is set beside the planner's own ρ. When the prediction agrees with the reference
and the planner does not, what the plans set beyond the function — kinematic rates and
frequencies, the drawn severity — is what moves it. Reads the folders benches/fidelity.sh
writes (the JSON sidecars survive the WAVs' deletion). Standard library only.

    python3 benches/fidelity_predict.py OUT SEED...
"""
import json
import statistics
import sys
from pathlib import Path

from fidelity_spread import spearman

TABLES = [
    ("premise.json", "intensity 0.5"),
    ("premise_level.json", "level 0 dB"),
    ("premise_cell.json", "cell change 1 dB"),
]
PLANNERS = ["keyword", "random"]
SIDECARS_PER_SEED = 20  # per machine and plan seed: per-type random draws its plan per clip


def reference_and_own(report, score):
    """Reference AUC per machine and each planner's own ρ, as `evaluate` wrote them."""
    r = json.loads((report / "report.json").read_text())
    ref = {
        d["machine"]: d["auc"]
        for d in r["detections"]
        if d["source"] == "reference" and d["score"] == score
    }
    own = {x["source"]: x["spearman_vs_reference"] for x in r["rankings"] if x["score"] == score}
    return ref, own


def chosen_functions(report, planner, machine):
    plans = []
    for seed_dir in sorted((report / "anomalies" / planner).glob("seed_*")):
        sidecars = sorted((seed_dir / machine).glob("*_anomaly_*.json"))[:SIDECARS_PER_SEED]
        for side in sidecars:
            steps = json.loads(side.read_text())["plan"]["steps"]
            plans.append([s["function"] for s in steps])
    return plans


def main():
    out, seeds = Path(sys.argv[1]), sys.argv[2:]
    for score in ["mse", "mahalanobis"]:
        rows = {}
        for s in seeds:
            report = out / f"seed_{s}" / "typical" / "report"
            ref, own = reference_and_own(report, score)
            machines = sorted(ref)
            tables = []
            for name, label in TABLES:
                path = out / f"seed_{s}" / name
                if path.exists():
                    p = json.loads(path.read_text())
                    auc = [x for x in p["scores"] if x["score"] == score][0]["auc"]
                    tables.append((label, p["machines"], p["functions"], auc))
            for who in PLANNERS:
                if who not in own:
                    continue
                truth = [ref[m] for m in machines]
                rows.setdefault((who, "its own ρ"), []).append(own[who])
                chosen = {m: chosen_functions(report, who, m) for m in machines}
                for label, ms, fns, auc in tables:
                    pred = [
                        statistics.mean(
                            statistics.mean(auc[ms.index(m)][fns.index(f)] for f in plan)
                            for plan in chosen[m]
                        )
                        for m in machines
                    ]
                    rows.setdefault((who, f"functions at {label}"), []).append(
                        spearman(truth, pred)
                    )
        print(f"{score}: ρ against the reference, mean ± sd over seeds {' '.join(seeds)}")
        for (who, what), v in rows.items():
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            each = ", ".join(f"{x:+.2f}" for x in v)
            print(f"  {who:8s} {what:34s} {statistics.mean(v):+.2f} ± {sd:.2f}  ({each})")


if __name__ == "__main__":
    main()
