//! Fault schedules: alternate fault-off and fault-on periods so labelled windows of both kinds
//! accumulate and a live AUC builds up.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    pub off: Duration,
    pub on: Duration,
}

impl Schedule {
    /// `10s` (10 s off, 10 s on), `off=20s,on=5s`, or `on=3s,off=7s`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let parse = |v: &str| -> anyhow::Result<Duration> {
            let d = humantime::parse_duration(v.trim()).map_err(|e| {
                anyhow::anyhow!("schedule \"{text}\": \"{v}\" is not a duration ({e})")
            })?;
            anyhow::ensure!(
                d >= Duration::from_millis(100),
                "schedule \"{text}\": periods must be at least 100 ms"
            );
            Ok(d)
        };
        if !text.contains('=') {
            let d = parse(text)?;
            return Ok(Self { off: d, on: d });
        }
        let (mut off, mut on) = (None, None);
        for part in text.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("schedule \"{text}\": expected off=DURATION,on=DURATION")
            })?;
            match key.trim() {
                "off" => off = Some(parse(value)?),
                "on" => on = Some(parse(value)?),
                other => anyhow::bail!(
                    "schedule \"{text}\": unknown period \"{other}\" (use off= and on=)"
                ),
            }
        }
        match (off, on) {
            (Some(off), Some(on)) => Ok(Self { off, on }),
            _ => anyhow::bail!("schedule \"{text}\": give both off= and on="),
        }
    }

    /// Whether the fault is on `t` into the schedule (it starts with an off period).
    pub fn fault_at(&self, t: Duration) -> bool {
        let period = (self.off + self.on).as_secs_f64();
        t.as_secs_f64() % period >= self.off.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_alternates() {
        let s = Schedule::parse("off=20s,on=5s").unwrap();
        assert_eq!(
            (s.off, s.on),
            (Duration::from_secs(20), Duration::from_secs(5))
        );
        assert!(!s.fault_at(Duration::from_secs(19)));
        assert!(s.fault_at(Duration::from_secs(21)));
        assert!(!s.fault_at(Duration::from_secs(26)));
        let s = Schedule::parse("10s").unwrap();
        assert_eq!(s.on, Duration::from_secs(10));
        assert!(s.fault_at(Duration::from_millis(15_000)));
    }

    #[test]
    fn bad_schedules_name_the_problem() {
        for bad in [
            "",
            "off=2s",
            "off=x,on=2s",
            "sometimes=1s,on=2s",
            "on=10ms,off=1s",
        ] {
            let e = Schedule::parse(bad).unwrap_err().to_string();
            assert!(e.contains("schedule"), "{bad}: {e}");
        }
    }
}
