//! Level follower: the machine's running RMS, so additive faults sit at a level relative to the
//! machine (a squeak at -6 dB is -6 dB under the machine whatever the recording gain).

/// Envelope floor: -80 dBFS, so a fault on silence is still audible but tiny.
pub const LEVEL_FLOOR: f32 = 1e-4;

#[derive(Clone, Debug)]
pub struct LevelFollower {
    power: f32,
    coef: f32,
}

/// Largest frame power the follower takes in (+20 dBFS): a glitch of huge samples must not
/// leave the reference, and with it every additive fault, blown up for seconds.
const MAX_POWER: f32 = 100.0;

impl LevelFollower {
    pub fn new(sample_rate: f32) -> Self {
        // One 200 ms time constant: a true running mean power, so the level is an RMS.
        Self { power: 0.0, coef: 1.0 - (-1.0 / (0.2 * sample_rate)).exp() }
    }

    pub fn reset(&mut self) {
        self.power = 0.0;
    }

    /// Feeds the mean power of one multichannel frame; returns the RMS level.
    #[inline]
    pub fn next(&mut self, frame_power: f32) -> f32 {
        self.power += self.coef * (frame_power.min(MAX_POWER) - self.power);
        self.power.sqrt().max(LEVEL_FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settles_on_the_rms_of_a_sine() {
        let sr = 16_000.0;
        let mut f = LevelFollower::new(sr);
        let mut last = 0.0;
        for n in 0..(3.0 * sr) as usize {
            let x = 0.5 * (std::f32::consts::TAU * 440.0 * n as f32 / sr).sin();
            last = f.next(x * x);
        }
        let rms = 0.5 / 2f32.sqrt();
        assert!((last - rms).abs() / rms < 0.02, "{last} vs {rms}");
    }

    #[test]
    fn floors_on_silence() {
        let mut f = LevelFollower::new(48_000.0);
        assert_eq!(f.next(0.0), LEVEL_FLOOR);
    }
}
