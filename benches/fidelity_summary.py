"""Summary of benches/fidelity.sh: one row per (seed, descriptions), then the means and the goal
checks of issue 14, then each machine's AUC per source (typical descriptions, mean ± sd over the
seeds: which machines a ranking disagrees on, and whether that repeats). Standard library only.

    python3 benches/fidelity_summary.py OUT SEED...
"""
import json
import statistics
import sys
from pathlib import Path


def ci(x):
    return "[n/a]" if not x else f"[{x[0]:.2f}, {x[1]:.2f}]"


def main():
    out = Path(sys.argv[1])
    seeds = sys.argv[2:] or ["0", "1", "2", "3", "4"]
    rows = []
    for s in seeds:
        for mode in ["typical", "per-clip"]:
            p = out / f"seed_{s}" / mode / "report" / "report.json"
            if not p.exists():
                continue
            r = json.loads(p.read_text())
            for score in ["mse", "mahalanobis"]:
                ref = [d["auc"] for d in r["detections"] if d["source"] == "reference" and d["score"] == score]
                rk = {x["source"]: x for x in r["rankings"] if x["score"] == score}
                kw, rnd = rk.get("keyword", {}), rk.get("random", {})
                ceil = r["reference_ceiling"][score]
                rows.append(dict(seed=s, mode=mode, score=score, ceiling=ceil["value"], ceiling_ci=ceil.get("ci"),
                                 ref_min=min(ref), ref_max=max(ref), spread=max(ref) - min(ref),
                                 kw=kw.get("spearman_vs_reference"), kw_ci=kw.get("spearman_ci"), kw_verdict=kw.get("verdict"),
                                 rnd=rnd.get("spearman_vs_reference"), rnd_ci=rnd.get("spearman_ci"),
                                 delta=(kw.get("delta_vs_random") or {}).get("value"), delta_ci=(kw.get("delta_vs_random") or {}).get("ci")))
    print("| seed | descriptions | score | ceiling | reference AUC range | ρ keyword | verdict | ρ random (per type) | Δρ keyword − random |")
    print("|---|---|---|---:|---:|---:|---|---:|---:|")
    for x in rows:
        f = lambda v: "n/a" if v is None else f"{v:.2f}"
        print(f"| {x['seed']} | {x['mode']} | {x['score']} | {f(x['ceiling'])} {ci(x['ceiling_ci'])} | {x['ref_min']:.2f}–{x['ref_max']:.2f} | "
              f"{f(x['kw'])} {ci(x['kw_ci'])} | {x['kw_verdict']} | {f(x['rnd'])} {ci(x['rnd_ci'])} | {f(x['delta'])} {ci(x['delta_ci'])} |")
    print()
    for mode in ["typical", "per-clip"]:
        for score in ["mse", "mahalanobis"]:
            sel = [x for x in rows if x["mode"] == mode and x["score"] == score]
            if not sel:
                continue
            mean = lambda k: statistics.mean(x[k] for x in sel if x[k] is not None)
            sd = lambda k: statistics.stdev([x[k] for x in sel if x[k] is not None]) if len(sel) > 1 else 0.0
            agrees = sum(x["kw_verdict"] == "agrees" for x in sel)
            above = sum(bool(x["kw_ci"]) and x["kw_ci"][0] > 0 for x in sel)
            covers = sum(bool(x["rnd_ci"]) and x["rnd_ci"][0] <= 0 <= x["rnd_ci"][1] for x in sel)
            print(f"{mode:8} {score:11} n={len(sel)}: ceiling {mean('ceiling'):.2f} ± {sd('ceiling'):.2f} (goal ≥ 0.9); "
                  f"reference spread {mean('spread'):.2f} ± {sd('spread'):.2f} (≥ 0.25), max AUC {max(x['ref_max'] for x in sel):.2f} (< 0.99); "
                  f"ρ keyword {mean('kw'):.2f} ± {sd('kw'):.2f} (≥ 0.8), interval above 0 in {above}/{len(sel)}, agrees {agrees}/{len(sel)}; "
                  f"ρ random {mean('rnd'):.2f} ± {sd('rnd'):.2f} (|·| ≤ 0.3), interval covers 0 in {covers}/{len(sel)}; "
                  f"Δρ {mean('delta'):.2f} ± {sd('delta'):.2f} (> 0)")
    print()
    per_machine(out, seeds)
    ablation(out, seeds)
    for s in seeds:
        for name in ("premise.json", "premise_level.json", "premise_cell.json"):
            p = out / f"seed_{s}" / name
            if p.exists():
                r = json.loads(p.read_text())
                for sc in r["scores"]:
                    if r.get("intensity") is not None:
                        at = f"intensity {r['intensity']}"
                    elif r.get("cell_change_db") is not None:
                        at = f"cell change {r['cell_change_db']} dB"
                    else:
                        at = f"level {r['level_db']:+} dB"
                    print(f"premise seed {s} {sc['score']:11} ({at}): machine share {sc['shares']['machine']:.2f} {ci(sc['machine_share_ci'])} "
                          f"(goal ≥ 0.30), function {sc['shares']['function']:.2f}, interaction {sc['shares']['interaction']:.2f}; "
                          f"ρ(machine mean, reference) {sc['rho']:.2f} {ci(sc['rho_ci'])} (goal ≥ 0.7)")
                    inf = sc.get("informative")
                    if inf:
                        print(f"  informative functions ({len(inf['functions'])}: {', '.join(f[:6] for f in inf['functions'])}): "
                              f"machine share {inf['shares']['machine']:.2f} {ci(inf['machine_share_ci'])}, "
                              f"function {inf['shares']['function']:.2f}; ρ {inf['rho']:.2f} {ci(inf['rho_ci'])}")


def per_machine(out, seeds):
    """Mean ± sd over seeds of each machine's AUC per source, typical descriptions."""
    aucs = {}
    for s in seeds:
        p = out / f"seed_{s}" / "typical" / "report" / "report.json"
        if p.exists():
            for d in json.loads(p.read_text())["detections"]:
                aucs.setdefault((d["score"], d["machine"], d["source"]), []).append(d["auc"])
    sources = ["reference", "keyword", "random"]
    for score in ["mse", "mahalanobis"]:
        machines = sorted({m for (sc, m, _) in aucs if sc == score})
        if not machines:
            continue
        print(f"AUC per machine, {score}, typical descriptions, mean ± sd over seeds")
        print("| machine | " + " | ".join(sources) + " |")
        print("|---|" + "---:|" * len(sources))
        for m in machines:
            cells = []
            for src in sources:
                v = aucs.get((score, m, src), [])
                sd = statistics.stdev(v) if len(v) > 1 else 0.0
                cells.append(f"{statistics.mean(v):.2f} ± {sd:.2f} (n={len(v)})" if v else "–")
            print(f"| {m} | " + " | ".join(cells) + " |")
        print()


def ablation(out, seeds):
    """The keyword planner with its kinematic frequencies off (`keyword-no-kinematics`), on the
    same data and model as the typical run: each seed's ρ with its interval, verdict and Δρ
    against random, then the mean ± sd over seeds."""
    got = {}
    for s in seeds:
        p = out / f"seed_{s}" / "ablation" / "report" / "report.json"
        if not p.exists():
            continue
        for x in json.loads(p.read_text())["rankings"]:
            if x["source"] != "reference":
                got.setdefault((x["score"], x["source"]), []).append((s, x))
    for (score, source), xs in sorted(got.items()):
        for s, x in xs:
            d = x.get("delta_vs_random") or {}
            dtxt = f"; Δρ vs random {d['value']:.2f} {ci(d.get('ci'))}" if d else ""
            print(f"ablation seed {s} {score:11} {source:22} ρ {x['spearman_vs_reference']:.2f} {ci(x['spearman_ci'])} "
                  f"{x['verdict']}{dtxt}")
        rho = [x["spearman_vs_reference"] for _, x in xs]
        sd = statistics.stdev(rho) if len(rho) > 1 else 0.0
        print(f"ablation {score:11} {source:22} n={len(rho)}: ρ {statistics.mean(rho):.2f} ± {sd:.2f}, "
              f"agrees {sum(x['verdict'] == 'agrees' for _, x in xs)}/{len(xs)}")
    if got:
        print()


if __name__ == "__main__":
    main()
