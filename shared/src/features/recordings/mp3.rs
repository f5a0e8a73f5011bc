//! The duration of an MP3, from its frame headers: every MPEG audio frame
//! holds a fixed number of samples, so the duration is the sum of the
//! frames' samples over their sample rate. ID3v2 tags, an ID3v1 tag and
//! the Xing/Info frame some encoders put first are skipped.

/// Why an MP3's duration could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mp3Error {
    #[error("no MPEG audio frames found")]
    NoFrames,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Frame {
    len: usize,
    samples: u32,
    sample_rate: u32,
}

const BITRATES_V1: [[u32; 15]; 3] = [
    // Layer I
    [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ],
    // Layer II
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ],
    // Layer III
    [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ],
];
const BITRATES_V2: [[u32; 15]; 3] = [
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/// The frame whose 4-byte header starts `bytes`, if it is one.
fn frame(bytes: &[u8]) -> Option<Frame> {
    let [b0, b1, b2, _] = *bytes.get(..4)? else {
        return None;
    };
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b1 >> 3) & 0b11; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
    let layer = match (b1 >> 1) & 0b11 {
        3 => 1,
        2 => 2,
        1 => 3,
        _ => return None,
    };
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0b11);
    if version == 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let padding = u32::from((b2 >> 1) & 1);
    let mpeg1 = version == 3;
    let table = if mpeg1 { &BITRATES_V1 } else { &BITRATES_V2 };
    let bitrate = table[layer - 1][bitrate_index] * 1000;
    let base_rate: u32 = [44_100, 48_000, 32_000][rate_index];
    let sample_rate = match version {
        3 => base_rate,
        2 => base_rate / 2,
        _ => base_rate / 4,
    };
    let (samples, len) = match layer {
        1 => (384, (12 * bitrate / sample_rate + padding) * 4),
        2 => (1152, 144 * bitrate / sample_rate + padding),
        _ if mpeg1 => (1152, 144 * bitrate / sample_rate + padding),
        _ => (576, 72 * bitrate / sample_rate + padding),
    };
    Some(Frame {
        len: usize::try_from(len).ok().filter(|&l| l > 4)?,
        samples,
        sample_rate,
    })
}

/// Bytes of the ID3v2 tag at the start, if any.
fn id3v2_len(bytes: &[u8]) -> usize {
    match bytes.get(..10) {
        Some([b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3]) => {
            let size = [s0, s1, s2, s3]
                .iter()
                .fold(0usize, |acc, b| (acc << 7) | usize::from(**b & 0x7F));
            let footer = if flags & 0x10 != 0 { 10 } else { 0 };
            10 + size + footer
        }
        _ => 0,
    }
}

/// Whether the frame at `bytes` is a Xing/Info header (no audio).
fn is_info_frame(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    head.windows(4).any(|w| w == b"Xing" || w == b"Info")
}

/// Seconds of audio in `bytes`.
pub fn duration(bytes: &[u8]) -> Result<f64, Mp3Error> {
    let mut at = id3v2_len(bytes);
    let mut seconds = 0.0;
    let mut frames = 0usize;
    while at + 4 <= bytes.len() {
        match frame(&bytes[at..]) {
            Some(f) if at + f.len <= bytes.len() => {
                if !(frames == 0 && is_info_frame(&bytes[at..at + f.len])) {
                    seconds += f64::from(f.samples) / f64::from(f.sample_rate);
                }
                frames += 1;
                at += f.len;
            }
            // A truncated last frame or garbage: look for the next sync.
            _ => at += 1,
        }
    }
    if frames == 0 {
        return Err(Mp3Error::NoFrames);
    }
    Ok(seconds)
}

/// Test audio: `count` silent MPEG-1 Layer III frames at 128 kb/s and
/// 44.1 kHz (417 bytes each, 1152 samples), after a small ID3v2 tag.
pub fn silent_frames(count: usize) -> Vec<u8> {
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x05hello".to_vec();
    for _ in 0..count {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        bytes.extend(frame);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frames_after_the_tag() {
        let seconds = duration(&silent_frames(100)).unwrap();
        assert!(
            (seconds - 100.0 * 1152.0 / 44_100.0).abs() < 1e-9,
            "{seconds}"
        );
    }

    #[test]
    fn mpeg2_layer3_and_padding() {
        // MPEG-2 Layer III, 64 kb/s, 22.05 kHz, padded: 72*64000/22050+1 = 209.
        let mut bytes = Vec::new();
        for _ in 0..10 {
            let mut f = vec![0u8; 209];
            f[..4].copy_from_slice(&[0xFF, 0xF3, 0x82, 0x00]);
            bytes.extend(f);
        }
        let seconds = duration(&bytes).unwrap();
        assert!(
            (seconds - 10.0 * 576.0 / 22_050.0).abs() < 1e-9,
            "{seconds}"
        );
    }

    #[test]
    fn not_audio() {
        assert_eq!(duration(b"<html>nope</html>"), Err(Mp3Error::NoFrames));
        assert_eq!(duration(&[]), Err(Mp3Error::NoFrames));
    }
}
