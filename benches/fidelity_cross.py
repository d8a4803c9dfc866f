"""One premise table against another world's reference: per seed, the machines' mean AUC over
the informative functions of a premise JSON, Spearman ρ against the reference AUCs of the same
seed in another run (same dataset seed: the same normal clips and model, so only the reference
faults differ, e.g. the default machine world against a recording-world premise). Point values
per seed, mean ± sd over seeds (no bootstrap: the two runs' resamples are not paired).
Standard library only.

    python3 benches/fidelity_cross.py PREMISE_DIR NAME REFERENCE_DIR SEED...
    e.g. python3 benches/fidelity_cross.py /tmp/fid_rec premise_cell.json /tmp/fid_machine 0 1 2 3 4
"""
import json
import statistics
import sys
from pathlib import Path

from fidelity_spread import spearman


def main():
    premise_dir, name, reference_dir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    seeds = sys.argv[4:] or ["0", "1", "2", "3", "4"]
    rows = {}
    for s in seeds:
        p = json.loads((premise_dir / f"seed_{s}" / name).read_text())
        other = json.loads((reference_dir / f"seed_{s}" / "premise.json").read_text())
        for sc, ref in zip(p["scores"], other["scores"]):
            assert sc["score"] == ref["score"]
            inf = sc.get("informative")
            if not inf:
                continue
            cols = [p["functions"].index(f) for f in inf["functions"]]
            means = [statistics.mean(row[c] for c in cols) for row in sc["auc"]]
            rho = spearman(means, ref["reference_auc"])
            rows.setdefault(sc["score"], []).append(rho)
            print(f"seed {s} {sc['score']:11} informative ({len(cols)}) ρ against {reference_dir.name}'s reference {rho:+.2f} "
                  f"(own reference {inf['rho']:+.2f})")
    for score, v in rows.items():
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        print(f"{score:11} n={len(v)}: ρ {statistics.mean(v):+.2f} ± {sd:.2f}")


if __name__ == "__main__":
    main()
