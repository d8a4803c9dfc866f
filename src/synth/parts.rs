//! Building blocks of machine sound: shaft phase with speed wander, harmonic series, band
//! noise, pink noise, impacts. Everything is driven by one seeded `Rng` per clip.

use crate::dsp::{sin_cycles, Biquad, BiquadCoefs, Resonator, Rng};

/// Smooth random curve with unit standard deviation, changing on the scale of `1/rate_hz`.
pub fn wander(n: usize, sr: f32, rate_hz: f32, rng: &mut Rng) -> Vec<f32> {
    let mut lp = [Biquad::new(BiquadCoefs::lowpass(rate_hz as f64, 0.707, sr as f64)); 2];
    // Warm the filters up so the clip does not start at zero.
    let warm = (2.0 * sr / rate_hz.max(0.1)) as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..warm + n {
        let [a, b] = &mut lp;
        let y = b.tick(a.tick(rng.gaussian()));
        if i >= warm {
            out.push(y);
        }
    }
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

/// Factory ambient, unit RMS: pink noise (the distant plant) with the plant's own events on top,
/// at random — other machines' clunks ringing three resonances of their own (about one a
/// second) and bursts of released air (one every five seconds). Real factory noise is not
/// stationary, and its transients mask a fault's knocks and dropouts where a steady hiss
/// would not.
pub fn ambient(n: usize, sr: f32, rng: &mut Rng) -> Vec<f32> {
    let mut x = pink(n, rng);
    for _ in 0..3 {
        let (freq, decay) = (rng.range(250.0, 3500.0), rng.range(0.005, 0.04));
        let hits: Vec<(usize, f32)> = poisson(n, sr, 0.35, rng)
            .into_iter()
            .map(|t| (t, rng.range(3.0, 12.0)))
            .collect();
        add_impacts(&mut x, &hits, freq, decay, sr);
    }
    let hiss = band(n, sr, 1500.0, 7000.0, rng);
    for start in poisson(n, sr, 0.2, rng) {
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
}
