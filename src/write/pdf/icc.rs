//! An sRGB ICC profile (version 2.1, display class), generated: the output intent PDF/A asks
//! for, with no profile file (and no licence) to ship. Primaries are sRGB's, adapted to D50 as
//! ICC requires; the tone curve is the sRGB transfer function sampled at 1,024 points.

fn s15f16(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn xyz_tag(x: f64, y: f64, z: f64) -> Vec<u8> {
    let mut t = b"XYZ \0\0\0\0".to_vec();
    for v in [x, y, z] {
        t.extend_from_slice(&s15f16(v));
    }
    t
}

fn text_description(text: &str) -> Vec<u8> {
    let mut t = b"desc\0\0\0\0".to_vec();
    t.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
    t.extend_from_slice(text.as_bytes());
    t.push(0);
    // No Unicode and no ScriptCode description: counts of zero, fixed-size ScriptCode field.
    t.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
    t
}

fn text(text: &str) -> Vec<u8> {
    let mut t = b"text\0\0\0\0".to_vec();
    t.extend_from_slice(text.as_bytes());
    t.push(0);
    t
}

fn srgb_curve() -> Vec<u8> {
    const POINTS: u32 = 1024;
    let mut t = b"curv\0\0\0\0".to_vec();
    t.extend_from_slice(&POINTS.to_be_bytes());
    for i in 0..POINTS {
        let v = f64::from(i) / f64::from(POINTS - 1);
        let linear = if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        };
        t.extend_from_slice(&((linear * 65535.0).round() as u16).to_be_bytes());
    }
    t
}

/// The profile's bytes.
pub fn srgb_profile() -> Vec<u8> {
    let curve = srgb_curve();
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", text_description("sRGB IEC61966-2.1")),
        (b"cprt", text("No copyright, use freely")),
        (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz_tag(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz_tag(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz_tag(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut body = Vec::new();
    let mut entries = Vec::new();
    for (sig, data) in &tags {
        let offset = 128 + table_len + body.len();
        entries.push((**sig, offset as u32, data.len() as u32));
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let size = (128 + table_len + body.len()) as u32;
    let mut p = Vec::with_capacity(size as usize);
    p.extend_from_slice(&size.to_be_bytes());
    p.extend_from_slice(&[0; 4]); // preferred CMM
    p.extend_from_slice(&[2, 0x10, 0, 0]); // version 2.1
    p.extend_from_slice(b"mntrRGB XYZ ");
    // Creation date: fixed, so the bytes never change (2024-01-01 00:00:00).
    for v in [2024u16, 1, 1, 0, 0, 0] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(b"acsp");
    p.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8]); // platform, flags, maker, model, attributes
    p.extend_from_slice(&0u32.to_be_bytes()); // perceptual intent
    for v in [0.9642, 1.0, 0.8249] {
        p.extend_from_slice(&s15f16(v));
    }
    p.extend_from_slice(&[0; 4 + 16 + 28]); // creator, profile id, reserved
    debug_assert_eq!(p.len(), 128);
    p.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    for (sig, offset, len) in entries {
        p.extend_from_slice(&sig);
        p.extend_from_slice(&offset.to_be_bytes());
        p.extend_from_slice(&len.to_be_bytes());
    }
    p.extend_from_slice(&body);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_a_well_formed_icc_v2_rgb_display_profile() {
        let p = srgb_profile();
        assert_eq!(
            u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize,
            p.len()
        );
        assert_eq!(&p[12..20], b"mntrRGB ");
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(p[8], 2);
        let count = u32::from_be_bytes([p[128], p[129], p[130], p[131]]) as usize;
        assert_eq!(count, 9);
        for k in 0..count {
            let e = &p[132 + 12 * k..144 + 12 * k];
            let offset = u32::from_be_bytes([e[4], e[5], e[6], e[7]]) as usize;
            let len = u32::from_be_bytes([e[8], e[9], e[10], e[11]]) as usize;
            assert_eq!(offset % 4, 0);
            assert!(offset + len <= p.len());
        }
    }
}
