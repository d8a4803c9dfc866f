//! Building blocks of machine sound: shaft phase with speed wander, harmonic series, band
//! noise, pink noise, impacts. Everything is driven by one seeded `Rng` per clip.

use crate::dsp::{sin_cycles, Biquad, BiquadCoefs, DelayLine, Resonator, Rng};

/// Samples a second of a wander's coarse curve, per Hz of its rate (see [`wander`]).
const WANDER_OVERSAMPLING: f32 = 100.0;

/// Smooth random curve with unit standard deviation, changing on the scale of `1/rate_hz`:
/// Gaussian noise through two 2nd-order low-passes at `rate_hz`, warmed up for `2/rate_hz` s so
/// the clip does not start at zero.
///
/// Why coarse: the curve holds nothing of note above a few times `rate_hz` (the low-passes fall
/// 24 dB an octave), so it is drawn at `WANDER_OVERSAMPLING × rate_hz` points a second and
/// interpolated linearly to the audio rate. Drawn at the audio rate, the plant's 0.2 Hz drift
/// and every shaft's 0.5 Hz speed wander took two to three Gaussians per output sample with
/// their warm-ups, half the synthesis time (world version 5 draws them coarse).
pub fn wander(n: usize, sr: f32, rate_hz: f32, rng: &mut Rng) -> Vec<f32> {
    let rate = rate_hz.max(0.1);
    let step = ((sr / (WANDER_OVERSAMPLING * rate)) as usize).max(1);
    let coarse_sr = sr / step as f32;
    let mut lp = [Biquad::new(BiquadCoefs::lowpass(rate as f64, 0.707, coarse_sr as f64)); 2];
    let warm = (2.0 * coarse_sr / rate) as usize;
    // One point past the last sample, so every sample lies between two points.
    let points = n.div_ceil(step) + 1;
    let mut coarse = Vec::with_capacity(points);
    for i in 0..warm + points {
        let [a, b] = &mut lp;
        let y = b.tick(a.tick(rng.gaussian()));
        if i >= warm {
            coarse.push(y);
        }
    }
    let mut out: Vec<f32> = (0..n)
        .map(|i| {
            let (k, f) = (i / step, (i % step) as f32 / step as f32);
            coarse[k] + f * (coarse[k + 1] - coarse[k])
        })
        .collect();
    let sd = (out.iter().map(|v| v * v).sum::<f32>() / n.max(1) as f32)
        .sqrt()
        .max(1e-9);
    out.iter_mut().for_each(|v| *v /= sd);
    out
}

/// Cumulative rotation (cycles) of a shaft at `freq` Hz whose speed wanders by `wander_frac`.
pub fn shaft_phase(n: usize, sr: f32, freq: f32, wander_frac: f32, rng: &mut Rng) -> Vec<f64> {
    let w = wander(n, sr, 0.5, rng);
    let mut phase = rng.uniform() as f64;
    w.iter()
        .map(|d| {
            let p = phase;
            phase += (freq * (1.0 + wander_frac * d)) as f64 / sr as f64;
            p
        })
        .collect()
}

/// Adds harmonics k·mult of a shaft phase with amplitudes `amps[k-1]` and random phases.
pub fn add_harmonics(
    x: &mut [f32],
    phase: &[f64],
    mult: f64,
    amps: &[f32],
    sr: f32,
    rng: &mut Rng,
) {
    let base_hz = if phase.len() > 1 {
        (phase[1] - phase[0]) * sr as f64 * mult
    } else {
        0.0
    };
    for (k, &a) in amps.iter().enumerate() {
        let order = mult * (k + 1) as f64;
        if a == 0.0 || base_hz * (k + 1) as f64 > 0.45 * sr as f64 {
            continue;
        }
        let offset = rng.uniform() as f64;
        for (v, p) in x.iter_mut().zip(phase) {
            *v += a * sin_cycles((p * order + offset).fract() as f32);
        }
    }
}

/// White noise band-limited to [lo, hi] Hz (2nd-order slopes), unit RMS.
pub fn band(n: usize, sr: f32, lo: f32, hi: f32, rng: &mut Rng) -> Vec<f32> {
    let (sr64, hi) = (sr as f64, (hi as f64).min(0.45 * sr as f64));
    let mut hp = Biquad::new(BiquadCoefs::highpass(
        lo as f64,
        std::f64::consts::FRAC_1_SQRT_2,
        sr64,
    ));
    let mut lp = Biquad::new(BiquadCoefs::lowpass(hi, 0.707, sr64));
    let mut out: Vec<f32> = (0..n).map(|_| lp.tick(hp.tick(rng.bipolar()))).collect();
    normalise_rms(&mut out, 1.0);
    out
}

/// Pink noise (Paul Kellet's filter), unit RMS: the spectrum of a distant factory.
pub fn pink(n: usize, rng: &mut Rng) -> Vec<f32> {
    let mut b = [0.0f32; 7];
    let mut out: Vec<f32> = (0..n)
        .map(|_| {
            let w = rng.bipolar();
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let y = b[..6].iter().sum::<f32>() + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            y
        })
        .collect();
    normalise_rms(&mut out, 1.0);
    out
}

/// Factory ambient, unit RMS: one clip's worth of a plant, drawn afresh for every clip. The
/// datasets mix in factory noise recorded apart from the machine (MIMII: several real plants;
/// DCASE: other spots and times), so the background differs from clip to clip in more than its
/// level, and a machine that sits at or under the plant's level (`noise` attribute) inherits that
/// variability where a loud one does not. Per clip:
/// - the bed: pink noise (the distant plant) with its own tilt — a near conveyor or a hall's
///   ventilation adds treble, distant heavy plant adds rumble — each 0 to −12 dB;
/// - zero to three other machines running somewhere in the hall: a motor at 25–200 Hz with its
///   harmonics, its fundamental 9–21 dB under the bed;
/// - the hall's level drifting as machines start and stop (about ±2 dB over seconds);
/// - events at rates of the clip's own: other machines' clunks ringing three resonances of
///   their own (0.1–0.8 a second each) and bursts of released air (up to one in 2.5 s).
///
/// Real factory noise is not stationary, and its transients mask a fault's knocks and dropouts
/// where a steady hiss would not.
pub fn ambient(n: usize, sr: f32, rng: &mut Rng) -> Vec<f32> {
    let db = |rng: &mut Rng, lo: f32, hi: f32| 10f32.powf(rng.range(lo, hi) / 20.0);
    let mut x = pink(n, rng);
    let (treble, rumble) = (db(rng, -12.0, 0.0), db(rng, -12.0, 0.0));
    mix(&mut x, &band(n, sr, 1000.0, 7000.0, rng), treble);
    mix(&mut x, &band(n, sr, 20.0, 200.0, rng), rumble);
    normalise_rms(&mut x, 1.0);
    for _ in 0..(rng.uniform() * 4.0) as usize {
        let f0 = 25.0 * 8f32.powf(rng.uniform());
        let shaft = shaft_phase(n, sr, f0, 0.003, rng);
        let level = db(rng, -18.0, -6.0);
        add_harmonics(
            &mut x,
            &shaft,
            1.0,
            &[level, 0.5 * level, 0.3 * level, 0.2 * level],
            sr,
            rng,
        );
    }
    modulate(&mut x, wander(n, sr, 0.2, rng).into_iter(), 0.25);
    for _ in 0..3 {
        let (freq, decay) = (rng.range(250.0, 3500.0), rng.range(0.005, 0.04));
        let rate = rng.range(0.1, 0.8);
        let hits: Vec<(usize, f32)> = poisson(n, sr, rate, rng)
            .into_iter()
            .map(|t| (t, rng.range(3.0, 12.0)))
            .collect();
        add_impacts(&mut x, &hits, freq, decay, sr);
    }
    let hiss = band(n, sr, 1500.0, 7000.0, rng);
    let rate = rng.range(0.0, 0.4);
    for start in poisson(n, sr, rate, rng) {
        let len = (rng.range(0.1, 0.5) * sr) as usize;
        let amp = rng.range(0.5, 2.0);
        for (k, i) in (start..(start + len).min(n)).enumerate() {
            // Half-sine envelope: the valve opens and closes.
            x[i] += amp * hiss[i] * (std::f32::consts::PI * k as f32 / len as f32).sin();
        }
    }
    normalise_rms(&mut x, 1.0);
    x
}

/// Adds impacts (sample index, amplitude) each ringing a resonance, plus a short click.
pub fn add_impacts(x: &mut [f32], hits: &[(usize, f32)], freq: f32, decay_s: f32, sr: f32) {
    let mut ring = Resonator::new(freq as f64, decay_s as f64, sr as f64);
    let mut next = hits.iter().peekable();
    for (i, v) in x.iter_mut().enumerate() {
        let mut e = 0.0;
        while let Some(&&(at, a)) = next.peek() {
            if at > i {
                break;
            }
            if at == i {
                e += a;
            }
            next.next();
        }
        *v += ring.tick(e) + 0.3 * e;
    }
}

/// Times of periodic events at `rate_hz` with `jitter` (fraction of a period).
pub fn periodic(n: usize, sr: f32, rate_hz: f32, jitter: f32, rng: &mut Rng) -> Vec<usize> {
    let period = sr / rate_hz.max(1e-3);
    let mut t = rng.uniform() * period;
    let mut out = Vec::new();
    while (t as usize) < n {
        out.push(t as usize);
        t += period * (1.0 + jitter * rng.bipolar());
    }
    out
}

/// Times of Poisson events at `rate_hz`.
pub fn poisson(n: usize, sr: f32, rate_hz: f32, rng: &mut Rng) -> Vec<usize> {
    let mut t = rng.exponential(sr / rate_hz.max(1e-3));
    let mut out = Vec::new();
    while (t as usize) < n {
        out.push(t as usize);
        t += rng.exponential(sr / rate_hz.max(1e-3));
    }
    out
}

pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

pub fn normalise_rms(x: &mut [f32], target: f32) {
    let r = rms(x).max(1e-12);
    x.iter_mut().for_each(|v| *v *= target / r);
}

/// x += gain · y
pub fn mix(x: &mut [f32], y: &[f32], gain: f32) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += gain * b);
}

/// x *= 1 + depth · m
pub fn modulate(x: &mut [f32], m: impl Iterator<Item = f32>, depth: f32) {
    x.iter_mut().zip(m).for_each(|(a, b)| *a *= 1.0 + depth * b);
}

/// Sine of a shaft phase times an order, for modulation curves.
pub fn order_sine(phase: &[f64], order: f64) -> impl Iterator<Item = f32> + '_ {
    phase
        .iter()
        .map(move |p| sin_cycles((p * order).fract() as f32))
}

/// Speed of sound in air at 20 °C, m/s.
pub const SOUND_SPEED: f32 = 343.0;

/// Level of a source running round a circular track of length `track_m` at `speed_mps`, heard by
/// a microphone `mic_m` outside the track: spherical spreading, the pressure falling as
/// 1/distance, relative to the closest approach (gain 1 there). The source starts at angle
/// `start` (turns, 0 = nearest the microphone). A fixed microphone beside a loop hears a toy
/// train approach and recede once a lap.
pub fn pass_by_gain(
    n: usize,
    sr: f32,
    track_m: f32,
    speed_mps: f32,
    mic_m: f32,
    start: f32,
) -> Vec<f32> {
    let r = track_m / std::f32::consts::TAU;
    let far = r + mic_m;
    (0..n)
        .map(|i| {
            let turns = start + speed_mps * i as f32 / sr / track_m;
            let cos = (std::f32::consts::TAU * turns.fract()).cos();
            let d = (r * r + far * far - 2.0 * r * far * cos).max(0.0).sqrt();
            mic_m / d.max(mic_m)
        })
        .collect()
}

/// Adds the reflection off a hard floor: a source `source_h` m and a microphone `mic_h` m above
/// the floor, `across_m` m apart horizontally. The image source's path is longer by
/// Δ = √(D² + (h_m + h_s)²) − √(D² + (h_m − h_s)²), so the reflection arrives Δ/c later, weaker
/// by the path ratio and the floor's reflection coefficient `coeff`: a comb filter whose first
/// notch sits at c / 2Δ. The fractional delay is read one sample late from a Hermite
/// `DelayLine` (the path difference can be under a sample, where a read must not reach ahead).
pub fn floor_reflection(
    x: &mut [f32],
    sr: f32,
    across_m: f32,
    source_h: f32,
    mic_h: f32,
    coeff: f32,
) {
    let direct = (across_m.powi(2) + (mic_h - source_h).powi(2)).sqrt();
    let image = (across_m.powi(2) + (mic_h + source_h).powi(2)).sqrt();
    let delay = (image - direct) / SOUND_SPEED * sr;
    let gain = coeff * direct / image;
    let mut line = DelayLine::with_capacity(delay.ceil() as usize + 2);
    // After pushing sample i, the sample `delay` before i − 1 is `delay + 1` back.
    for i in 0..=x.len() {
        line.push(x.get(i).copied().unwrap_or(0.0));
        if i > 0 {
            x[i - 1] += gain * line.read(delay + 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_noise_is_unit_rms_and_pink_falls_3db_per_octave() {
        let mut rng = Rng::new(1);
        let b = band(32_000, 16_000.0, 500.0, 2000.0, &mut rng);
        assert!((rms(&b) - 1.0).abs() < 1e-3);
        let p = pink(1 << 16, &mut rng);
        let s = crate::dsp::testutil::spectrum(&p);
        let bin = 16_000.0 / (1 << 16) as f32;
        let band_power = |lo: f32| -> f32 {
            let (a, z) = ((lo / bin) as usize, (2.0 * lo / bin) as usize);
            s[a..z].iter().map(|v| v * v).sum::<f32>()
        };
        // Equal power per octave for pink noise.
        let ratio = 10.0 * (band_power(2000.0) / band_power(250.0)).log10();
        assert!(ratio.abs() < 1.5, "octave power ratio {ratio} dB");
    }

    #[test]
    fn a_wander_is_unit_rms_slow_and_smooth() {
        // Drawn coarse and interpolated: unit RMS, its energy under a few times its rate (the
        // interpolation's images above the coarse rate's half are tiny), and no stairs: a step
        // from one sample to the next is about 2π·rate/sr of its RMS, where holding each coarse
        // point would jump by that times the coarse step (160 samples here).
        let (sr, rate) = (16_000.0, 0.5);
        let w = wander(20 * 16_000, sr, rate, &mut Rng::new(4));
        assert!((rms(&w) - 1.0).abs() < 1e-3, "{}", rms(&w));
        let above = crate::dsp::testutil::band_fraction(&w, sr, 5.0, 8000.0);
        assert!(above < 1e-4, "energy above 10× the rate: {above:.2e}");
        let jump = w
            .windows(2)
            .map(|p| (p[1] - p[0]).abs())
            .fold(0.0f32, f32::max);
        assert!(jump < 2e-3, "largest step {jump}");
        // Made at the rate asked: at 0.5 Hz most of its energy is under 1 Hz, at 5 Hz little.
        let fast = wander(20 * 16_000, sr, 10.0 * rate, &mut Rng::new(4));
        let under = |x: &[f32]| crate::dsp::testutil::band_fraction(x, sr, 0.0, 1.0);
        assert!(
            under(&fast) < 0.5 && under(&w) > 0.8,
            "{} {}",
            under(&fast),
            under(&w)
        );
    }

    #[test]
    fn each_clip_hears_a_different_plant_not_only_a_louder_one() {
        // Twelve ambients at unit RMS: the share of their energy under 200 Hz (distant heavy
        // plant, other machines' motors) differs clip to clip, which a level alone cannot do.
        // (Version 3's plant, one bed and events at fixed rates: sd 0.66 dB.)
        let sr = 16_000.0;
        let share_db = |lo: f32, hi: f32| -> Vec<f32> {
            (0..12)
                .map(|s| {
                    let x = ambient(3 * 16_000, sr, &mut Rng::new(100 + s));
                    10.0 * crate::dsp::testutil::band_fraction(&x, sr, lo, hi).log10()
                })
                .collect()
        };
        let sd = |v: &[f32]| {
            let m = v.iter().sum::<f32>() / v.len() as f32;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f32>() / (v.len() - 1) as f32).sqrt()
        };
        let low = share_db(20.0, 200.0);
        assert!(
            sd(&low) > 1.1,
            "rumble share sd {:.2} dB: {low:?}",
            sd(&low)
        );
    }

    #[test]
    fn a_pass_by_swings_by_the_distance_ratio_once_a_lap() {
        // Track 2π m (radius 1), microphone 0.5 m outside: distance 0.5 … 2.5 m, 14 dB.
        let sr = 1000.0;
        let g = pass_by_gain(
            4000,
            sr,
            std::f32::consts::TAU,
            std::f32::consts::TAU / 2.0,
            0.5,
            0.0,
        );
        let (lo, hi) = g
            .iter()
            .fold((f32::MAX, 0f32), |(a, b), v| (a.min(*v), b.max(*v)));
        assert!(
            (hi - 1.0).abs() < 1e-4 && (lo - 0.2).abs() < 1e-3,
            "{lo} {hi}"
        );
        // One lap every 2 s: the closest approach again at 2000 samples, the farthest at 1000.
        assert!((g[2000] - 1.0).abs() < 1e-3 && (g[1000] - 0.2).abs() < 1e-3);
    }

    #[test]
    fn a_floor_reflection_notches_where_the_path_difference_is_half_a_wavelength() {
        // D = 0.1 m, source 3 cm and microphone 10 cm up: Δ = 4.21 cm, first notch c/2Δ ≈ 4.07 kHz.
        let sr = 48_000.0;
        let mut rng = Rng::new(4);
        let x: Vec<f32> = (0..1 << 16).map(|_| rng.bipolar()).collect();
        let mut y = x.clone();
        floor_reflection(&mut y, sr, 0.1, 0.03, 0.1, 0.9);
        let (sx, sy) = (
            crate::dsp::testutil::spectrum(&x),
            crate::dsp::testutil::spectrum(&y),
        );
        let bin = sr / (1 << 16) as f32;
        let gain_db = |f: f32| {
            let b = (f / bin) as usize;
            let p = |s: &[f32]| s[b - 40..b + 40].iter().map(|v| v * v).sum::<f32>();
            10.0 * (p(&sy) / p(&sx)).log10()
        };
        let delta =
            (0.1f32.powi(2) + 0.13f32.powi(2)).sqrt() - (0.1f32.powi(2) + 0.07f32.powi(2)).sqrt();
        let notch = SOUND_SPEED / (2.0 * delta);
        assert!((notch - 4070.0).abs() < 30.0, "{notch}");
        // The reflection is 0.9 × direct/image = 0.67 of the direct sound. At the notch it
        // cancels most of it (|1 − g|² = −9.6 dB); an octave below, a quarter period late, the
        // two add in power (1 + g², +1.6 dB); at low frequency in phase ((1 + g)², +4.4 dB).
        let g = 0.9 * (0.1f32.powi(2) + 0.07f32.powi(2)).sqrt()
            / (0.1f32.powi(2) + 0.13f32.powi(2)).sqrt();
        let want = |p: f32| 10.0 * p.log10();
        assert!(
            gain_db(notch) < want((1.0 - g).powi(2)) + 3.0,
            "notch {}",
            gain_db(notch)
        );
        assert!(
            (gain_db(notch / 2.0) - want(1.0 + g * g)).abs() < 0.4,
            "{}",
            gain_db(notch / 2.0)
        );
        assert!(
            (gain_db(150.0) - want((1.0 + g).powi(2))).abs() < 0.4,
            "{}",
            gain_db(150.0)
        );
    }
}
