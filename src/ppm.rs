//! Reading the binary PPM ("P6") images that QEMU's `screendump` writes.
//!
//! A P6 file is a short text header `P6 <width> <height> <maxval>` (separated by
//! whitespace, `#` starting a comment) followed by one byte of whitespace and then
//! `width * height` pixels of three bytes each: red, green, blue.

/// An RGB image, 3 bytes per pixel, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    /// The (r, g, b) of pixel (x, y).
    pub fn pixel(&self, x: usize, y: usize) -> (u8, u8, u8) {
        let i = (y * self.width + x) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }
}

/// Parses a P6 file with maxval 255.
pub fn parse(bytes: &[u8]) -> Result<Image, String> {
    let mut pos = 0;
    let mut fields = [0usize; 3];
    if bytes.get(..2) != Some(b"P6") {
        return Err("not a binary PPM (P6) file".into());
    }
    pos += 2;
    for field in &mut fields {
        skip_space_and_comments(bytes, &mut pos);
        let start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        *field = std::str::from_utf8(&bytes[start..pos])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("bad number in PPM header")?;
    }
    let [width, height, maxval] = fields;
    if maxval != 255 {
        return Err(format!("unsupported PPM maxval {maxval}"));
    }
    pos += 1; // the single whitespace byte after maxval
    let len = width * height * 3;
    let rgb = bytes
        .get(pos..pos + len)
        .ok_or("PPM file shorter than its header says")?
        .to_vec();
    Ok(Image { width, height, rgb })
}

fn skip_space_and_comments(bytes: &[u8], pos: &mut usize) {
    while *pos < bytes.len() {
        match bytes[*pos] {
            b'#' => {
                while *pos < bytes.len() && bytes[*pos] != b'\n' {
                    *pos += 1;
                }
            }
            b if b.is_ascii_whitespace() => *pos += 1,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_comments_and_pixels() {
        let mut file = b"P6\n# made by a test\n2 1\n255\n".to_vec();
        file.extend_from_slice(&[1, 2, 3, 250, 251, 252]);
        let image = parse(&file).unwrap();
        assert_eq!((image.width, image.height), (2, 1));
        assert_eq!(image.pixel(0, 0), (1, 2, 3));
        assert_eq!(image.pixel(1, 0), (250, 251, 252));
    }

    #[test]
    fn pixel_data_may_start_with_a_whitespace_byte_value() {
        let mut file = b"P6 1 1 255\n".to_vec();
        file.extend_from_slice(&[b' ', b'\n', 9]);
        assert_eq!(parse(&file).unwrap().pixel(0, 0), (b' ', b'\n', 9));
    }

    #[test]
    fn rejects_bad_files() {
        assert!(parse(b"P3 1 1 255\n").is_err());
        assert!(parse(b"P6 1 1 65535\n").is_err());
        assert!(parse(b"P6 2 2 255\n\x00\x00\x00").is_err());
        assert!(parse(b"P6 x 2 255\n").is_err());
        assert!(parse(b"").is_err());
    }
}
