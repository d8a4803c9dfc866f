//! The threads that train one model together: each takes a share of every batch's rows, and
//! they meet where batch norm needs statistics of the whole batch.
//!
//! Members spin at the barrier instead of sleeping: a step meets about twenty times, and a
//! sleeping thread's wake-up (tens of µs on this kind of VM) costs as much as the 128 × 128
//! products between meetings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Team {
    size: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    /// One buffer per member for `all_sum`.
    slots: Vec<Mutex<Vec<f64>>>,
}

impl Team {
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        Self {
            size,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            slots: (0..size).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    /// Returns once every member has called it.
    pub fn wait(&self) {
        if self.size == 1 {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.size {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            std::hint::spin_loop();
            spins = spins.saturating_add(1);
            // A member far behind (preempted, or in the serial optimiser step): stop hogging.
            if spins > 1 << 16 {
                std::thread::yield_now();
            }
        }
    }

    /// Replaces `values` with the element-wise sum over all members' `values`, added in member
    /// order so every member gets the same bits.
    pub fn all_sum(&self, member: usize, values: &mut [f64]) {
        if self.size == 1 {
            return;
        }
        {
            let mut slot = self.slots[member]
                .lock()
                .expect("no member panics holding a slot");
            slot.clear();
            slot.extend_from_slice(values);
        }
        self.wait();
        values.fill(0.0);
        for slot in &self.slots {
            let slot = slot.lock().expect("no member panics holding a slot");
            values
                .iter_mut()
                .zip(slot.iter())
                .for_each(|(v, s)| *v += s);
        }
        self.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_sum_gives_every_member_the_same_total() {
        let team = Team::new(3);
        let results: Vec<Vec<f64>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|m| {
                    let team = &team;
                    s.spawn(move || {
                        let mut last = Vec::new();
                        for round in 0..200 {
                            let mut v = vec![m as f64 + round as f64, 1.0];
                            team.all_sum(m, &mut v);
                            last = v;
                        }
                        last
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            assert_eq!(r, vec![3.0 + 3.0 * 199.0, 3.0]);
        }
    }
}
