"""Where the machine effect in `premise` comes from: per machine, the spread of its normal test
clips' scores (interquartile range of log score) against its mean AUC over the informative
functions (mean AUC over the machines in (0.6, 0.95), as `premise` selects them) and against the
reference AUC; Spearman ρ over the machines within each seed. Reads the folders
benches/fidelity.sh writes. Standard library only.

    python3 benches/fidelity_spread.py OUT SEED...
"""
import json
import statistics
import sys
from pathlib import Path

LO, HI = 0.6, 0.95  # eval::premise::INFORMATIVE


def ranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.mean(ra), statistics.mean(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return num / den if den else float("nan")


def iqr_log(scores):
    q = statistics.quantiles([__import__("math").log(s) for s in scores], n=4, method="inclusive")
    return q[2] - q[0]


def main():
    out = Path(sys.argv[1])
    seeds = sys.argv[2:] or ["0", "1", "2", "3", "4"]
    table = {}
    for s in seeds:
        base = out / f"seed_{s}"
        report = json.loads((base / "typical" / "report" / "report.json").read_text())
        for name in ("premise.json", "premise_level.json", "premise_cell.json"):
            path = base / name
            if not path.exists():
                continue
            p = json.loads(path.read_text())
            for sc in p["scores"]:
                kind = sc["score"]
                col = {"mse": 0, "mahalanobis": 1}[kind]
                auc = sc["auc"]
                means = [statistics.mean(row[f] for row in auc) for f in range(len(auc[0]))]
                inf = [f for f, m in enumerate(means) if LO < m < HI]
                spread, mean_inf, ref = [], [], []
                for mi, m in enumerate(p["machines"]):
                    normal = [c["scores"][col] for c in report["clips"] if c["machine"] == m and c["source"] == "normal"]
                    spread.append(iqr_log(normal))
                    mean_inf.append(statistics.mean(auc[mi][f] for f in inf))
                    ref.append(next(d["auc"] for d in report["detections"]
                                    if d["machine"] == m and d["source"] == "reference" and d["score"] == kind))
                table.setdefault((name, kind), []).append((s, p["machines"], spread, mean_inf, ref))
    for (name, kind), runs in table.items():
        a = [spearman(r[2], r[3]) for r in runs]
        b = [spearman(r[2], r[4]) for r in runs]
        print(f"{name:19} {kind:11} ρ(spread, informative mean AUC) per seed {' '.join(f'{x:+.2f}' for x in a)} "
              f"(mean {statistics.mean(a):+.2f}); ρ(spread, reference AUC) {' '.join(f'{x:+.2f}' for x in b)} "
              f"(mean {statistics.mean(b):+.2f})")
    runs = table.get(("premise.json", "mse"), [])
    if runs:
        machines = runs[0][1]
        print("IQR of log MSE score of the normal test clips, min–max over seeds:")
        for i, m in enumerate(machines):
            v = [r[2][i] for r in runs]
            print(f"  {m:9} {min(v):.3f}–{max(v):.3f}")


if __name__ == "__main__":
    main()
