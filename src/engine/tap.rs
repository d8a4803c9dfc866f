//! What the audio thread sends to analysis: mono samples, each tagged with the label and machine
//! in force when it was played.

/// Sample tag: bits 0–6 the machine index, bit 7 the fault label, bit 15 set on the first
/// sample after a gap (samples were dropped before it, so the stream is not continuous).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tag(pub u16);

impl Tag {
    const FAULT: u16 = 0x80;
    const GAP: u16 = 0x8000;
    const MACHINE: u16 = 0x7f;

    pub fn new(machine: u8, fault: bool) -> Self {
        Self((machine as u16 & Self::MACHINE) | if fault { Self::FAULT } else { 0 })
    }

    pub fn machine(self) -> usize {
        (self.0 & Self::MACHINE) as usize
    }

    pub fn fault(self) -> bool {
        self.0 & Self::FAULT != 0
    }

    pub fn gap(self) -> bool {
        self.0 & Self::GAP != 0
    }

    pub fn with_gap(self) -> Self {
        Self(self.0 | Self::GAP)
    }

    /// The label and machine only (the gap flag stripped).
    pub fn label(self) -> Self {
        Self(self.0 & !Self::GAP)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TapSample {
    pub value: f32,
    pub tag: Tag,
}
