#!/usr/bin/env python3
"""Soak test of `faultline monitor` in loop mode: RSS every minute, timing drift, dropped samples.

Real time (default) runs for --minutes of wall time; --fast plays the same amount of audio as fast
as the analysis keeps up and samples RSS once per minute of *audio* (read from the window stream).

    cargo build --release
    python3 benches/soak.py --minutes 60            # one real hour
    python3 benches/soak.py --minutes 60 --fast     # one hour of audio, faster than real time

Writes target/soak/<mode>/{rss.csv,summary.json} and prints the summary.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# FAULTLINE_BIN: a copy of the binary, so a rebuild during a long soak does not disturb it.
BIN = pathlib.Path(os.environ.get("FAULTLINE_BIN", ROOT / "target/release/faultline"))


def run(args):
    subprocess.run([str(BIN), *args], check=True, stdout=subprocess.DEVNULL)


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--fast", action="store_true")
    a = ap.parse_args()
    mode = "fast" if a.fast else "realtime"
    out = ROOT / "target/soak" / mode
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    run(["synth", "--machine", "pump", "--count", "1", "--seconds", "30", "--sample-rate", "48000", "--out", str(data), "--quiet"])
    clip = sorted((data / "pump/train").glob("*.wav"))[0]
    model = out / "pump.safetensors"
    run(["monitor", "--loop", str(clip), "--fast", "--learn", "20s", "--save-model", str(model), "--duration", "22s", "--quiet", "--report", str(out / "learn")])

    seconds = a.minutes * 60
    cmd = [str(BIN), "monitor", "--loop", str(clip), "--model", str(model), "--machine", "pump", "--fault", "worn bearing squeak",
           "--schedule", "off=20s,on=10s", "--duration", f"{seconds}s", "--quiet", "--json", "--report", str(out / "report"), "--report-every", "60"]
    if a.fast:
        cmd.append("--fast")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    latest = {"stream_s": 0.0, "windows": 0}

    def read_windows():
        for line in proc.stdout:
            w = json.loads(line)
            latest["stream_s"] = w["start_s"]
            latest["windows"] += 1

    reader = threading.Thread(target=read_windows, daemon=True)
    reader.start()
    rows = []
    next_minute = 0.0
    while proc.poll() is None:
        wall = time.monotonic() - started
        stream = latest["stream_s"]
        due = stream >= next_minute if a.fast else wall >= next_minute
        if due:
            try:
                rows.append((round(wall, 2), round(stream, 2), latest["windows"], rss_kib(proc.pid)))
            except FileNotFoundError:
                break
            next_minute += 60
        time.sleep(0.02 if a.fast else 1.0)
    proc.wait()
    reader.join(timeout=5)
    wall = time.monotonic() - started
    report = json.loads((out / "report/summary.json").read_text())
    with open(out / "rss.csv", "w") as f:
        f.write("wall_s,stream_s,windows,rss_kib\n")
        for r in rows:
            f.write(",".join(map(str, r)) + "\n")
    rss = [r[3] for r in rows[1:]] or [0]
    summary = {
        "mode": mode,
        "audio_s": report["run"]["seconds"],
        "wall_s": round(wall, 1),
        "x_realtime": round(report["run"]["seconds"] / wall, 1),
        "windows": report["summary"]["windows"],
        "dropped_samples": report["summary"]["dropped_samples"],
        "rss_first_kib": rss[0],
        "rss_last_kib": rss[-1],
        "rss_max_kib": max(rss),
        "rss_growth_kib_per_hour": round((rss[-1] - rss[0]) / max(rows[-1][1] - rows[1][1], 1) * 3600, 1) if len(rows) > 2 else None,
        # Real time: how far the stream clock ran from the wall clock by the end.
        "drift_s": round(report["run"]["seconds"] - wall, 2) if not a.fast else None,
        "samples": len(rows),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0 if summary["dropped_samples"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
