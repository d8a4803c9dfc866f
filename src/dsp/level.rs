//! Level follower: the machine's running RMS, so additive faults sit at a level relative to the
//! machine (a squeak at -6 dB is -6 dB under the machine whatever the recording gain).

/// Envelope floor: -80 dBFS, so a fault on silence is still audible but tiny.
pub const LEVEL_FLOOR: f32 = 1e-4;

/// Samples per update of the smoothed power: with a 200 ms time constant, updating every 16
/// samples (1 ms at 16 kHz) changes nothing audible and takes the smoother off the per-sample
/// path. Updates follow the sample count, not block edges, so block sizes do not matter.
const DECIMATION: u32 = 16;

#[derive(Clone, Debug)]
pub struct LevelFollower {
    power: f32,
    coef: f32,
    acc: f32,
    count: u32,
    level: f32,
}

/// Largest frame power the follower takes in (+20 dBFS): a glitch of huge samples must not
/// leave the reference, and with it every additive fault, blown up for seconds.
const MAX_POWER: f32 = 100.0;

impl LevelFollower {
    pub fn new(sample_rate: f32) -> Self {
        // One 200 ms time constant: a true running mean power, so the level is an RMS.
        let coef = 1.0 - (-(DECIMATION as f32) / (0.2 * sample_rate)).exp();
        Self {
            power: 0.0,
            coef,
            acc: 0.0,
            count: 0,
            level: LEVEL_FLOOR,
        }
    }

    pub fn reset(&mut self) {
        (self.power, self.acc, self.count, self.level) = (0.0, 0.0, 0, LEVEL_FLOOR);
    }

    /// Feeds the mean power of one multichannel frame; returns the RMS level.
    #[inline]
    pub fn next(&mut self, frame_power: f32) -> f32 {
        self.acc += frame_power.min(MAX_POWER);
        self.count += 1;
        if self.count == DECIMATION {
            self.power += self.coef * (self.acc / DECIMATION as f32 - self.power);
            self.level = self.power.sqrt().max(LEVEL_FLOOR);
            (self.acc, self.count) = (0.0, 0);
        }
        self.level
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
