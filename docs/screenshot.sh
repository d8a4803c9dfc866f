#!/usr/bin/env bash
# The README's editor screenshot, from the standalone plugin in a real window:
#   Xvfb (a real X server) + jackd's dummy driver (a real JACK server, no sound card) +
#   faultline-standalone on JACK + jack-play feeding it normal sound of three machines,
#   the editor driven with xdotool as a user would: learn normal, switch Fault on and off,
#   change Machine when the audio changes machine. The window is captured with xwd.
#
#   bash docs/screenshot.sh [OUT.png]      (default docs/editor.png; needs xvfb, jackd2,
#                                          jack-tools, xdotool, x11-apps, imagemagick, sox, bc)
#
# As a user would: Learn normal on the first 60 s (20 s of each machine, Machine switched with
# the audio), then each machine plays 40 s of other clips with its default plan (the keyword
# planner's typical fault, made at the first Fault on), Fault off 5 s and on 5 s, four times.
# The positions clicked are the editor's layout at its default 980×760.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/editor.png}
WORK=$(mktemp -d)
DISPLAY_NUM=:${SCREENSHOT_DISPLAY:-97}
MACHINES=(fan pump slider)
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
PIDS=()
trap cleanup EXIT

for tool in Xvfb jackd jack-play jack_connect xdotool xwd sox bc; do
  command -v "$tool" >/dev/null || { echo "screenshot: $tool is missing (apt-get install xvfb jackd2 jack-tools xdotool x11-apps imagemagick sox bc)" >&2; exit 1; }
done
CONVERT=/usr/bin/convert
[ -x "$CONVERT" ] || { echo "screenshot: ImageMagick's convert is missing (apt-get install imagemagick)" >&2; exit 1; }

cargo build --release --bin faultline
cargo build --release -p faultline-plugin --features standalone --bin faultline-standalone
BIN=target/release

# Normal sound of the three machines (fresh synthetic clips, 10 s each): two clips each to learn
# from, then four each to play the fault on and off over (five for the last machine, so the
# audio outlasts the last Fault switch and the screenshot).
$BIN/faultline synth --machine fan,pump,slider --count 7 --test-count 2 --out "$WORK/clips" --quiet
clips() { ls "$WORK/clips/$1/train/"*.wav | sed -n "$2p"; }
FILES=()
for m in "${MACHINES[@]}"; do FILES+=($(clips "$m" 1,2)); done
for m in fan pump; do FILES+=($(clips "$m" 3,6)); done
FILES+=($(clips slider 3,7))
# One file: jack-play goes silent after the first of several.
sox "${FILES[@]}" "$WORK/play.wav"

Xvfb "$DISPLAY_NUM" -screen 0 1280x900x24 >"$WORK/xvfb.log" 2>&1 & PIDS+=($!)
export DISPLAY=$DISPLAY_NUM
export JACK_DEFAULT_SERVER=faultline-shot
jackd -n faultline-shot -d dummy -r 16000 -p 512 >"$WORK/jackd.log" 2>&1 & PIDS+=($!)
sleep 2
$BIN/faultline-standalone -b jack >"$WORK/standalone.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do
  xdotool search --name '^Faultline$' >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 1

click() { xdotool mousemove "$1" "$2" click 1; sleep 0.4; }
machine() { # the Machine combo and its list's rows
  click 133 85
  case $1 in fan) click 110 112 ;; pump) click 110 135 ;; slider) click 110 158 ;; esac
}
fault() { click 139 111; }

jack-play "$WORK/play.wav" >"$WORK/play.log" 2>&1 & PIDS+=($!)
PLAYER=$!
for _ in $(seq 50); do jack_lsp | grep -q "jack-play-$PLAYER:out_1" && break; sleep 0.1; done
jack_connect "jack-play-$PLAYER:out_1" faultline:input_1
jack_connect "jack-play-$PLAYER:out_1" faultline:input_2
START=$(date +%s.%N)
at() { # sleeps until $1 seconds after the audio started
  local now; now=$(date +%s.%N)
  local wait; wait=$(echo "$START + $1 - $now" | bc)
  if (( $(echo "$wait > 0" | bc) )); then sleep "$wait"; fi
}
# Learn normal: 60 s, 20 s of each machine with Machine following the audio; the engine trains
# the detector (20 epochs) on it while the next machine plays.
click 68 294
at 20; machine pump
at 40; machine slider
for k in 0 1 2; do
  t0=$((60 + k * 40))
  at "$t0"; machine "${MACHINES[$k]}"
  for c in 0 1 2 3; do
    at $((t0 + c * 10 + 5)); fault
    at $((t0 + c * 10 + 10)); fault
  done
done
at 179
xdotool mousemove 700 20   # no hover highlight in the picture
sleep 0.5
# Into the work folder first, then moved: a failed capture leaves the old picture in place.
xwd -root -silent | "$CONVERT" xwd:- -crop 980x760+0+0 +repage "$WORK/shot.png"
mv "$WORK/shot.png" "$OUT"
echo "screenshot: $OUT"
