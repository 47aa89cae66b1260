//! Uploaded images: what a file is, decided by its bytes alone (never by
//! its name or the type the client declared), and how large it is.
//!
//! Only raster formats a browser shows without running anything are
//! accepted: PNG, JPEG, GIF and WebP. SVG (which can carry script), HTML
//! and everything else are refused.

use sha2::{Digest, Sha256};

/// The formats an upload may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    /// The `Content-Type` the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Gif => "image/gif",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// What the bytes of an accepted upload are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("only PNG, JPEG, GIF and WebP images can be uploaded")]
    Unsupported,
    #[error("the file is larger than the {} limit", human_bytes(*.0))]
    TooLarge(usize),
    #[error("the upload is empty")]
    Empty,
    /// A multipart body that cannot be read, or holds no file.
    #[error("{0}")]
    BadForm(String),
}

/// Reads the kind and pixel size of `bytes`; refuses anything that is not
/// one of [`ImageKind`] with a readable, non-empty size.
pub fn probe(bytes: &[u8]) -> Result<Probe, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    // The header parser reads untrusted bytes: a panic in it must refuse
    // the file, not take the request down.
    let read = std::panic::catch_unwind(|| {
        let kind = imagesize::image_type(bytes).ok()?;
        let size = imagesize::blob_size(bytes).ok()?;
        Some((kind, size))
    });
    let Ok(Some((kind, size))) = read else {
        return Err(MediaError::Unsupported);
    };
    let kind = match kind {
        imagesize::ImageType::Png => ImageKind::Png,
        imagesize::ImageType::Jpeg => ImageKind::Jpeg,
        imagesize::ImageType::Gif => ImageKind::Gif,
        imagesize::ImageType::Webp => ImageKind::Webp,
        #[allow(unreachable_patterns)]
        _ => return Err(MediaError::Unsupported),
    };
    let (Ok(width), Ok(height)) = (u32::try_from(size.width), u32::try_from(size.height)) else {
        return Err(MediaError::Unsupported);
    };
    if width == 0 || height == 0 {
        return Err(MediaError::Unsupported);
    }
    Ok(Probe {
        kind,
        width,
        height,
    })
}

/// The hex SHA-256 of the bytes: the same file uploaded twice to one
/// document is stored once.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `10 MiB`, `512 KiB`, `300 bytes`.
pub fn human_bytes(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
pub mod samples {
    //! Small valid images of each accepted kind, for tests.

    /// A 3×2 PNG.
    pub fn png_3x2() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&3u32.to_be_bytes());
        v.extend_from_slice(&2u32.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        v
    }

    /// A 5×4 GIF header.
    pub fn gif_5x4() -> Vec<u8> {
        let mut v = b"GIF89a".to_vec();
        v.extend_from_slice(&5u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0, 0, 0, 0x3b]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_is_typed_by_its_bytes_with_its_size() {
        let p = probe(&samples::png_3x2()).unwrap();
        assert_eq!(p.kind, ImageKind::Png);
        assert_eq!((p.width, p.height), (3, 2));
        assert_eq!(p.kind.content_type(), "image/png");
    }

    #[test]
    fn gif_is_read() {
        let p = probe(&samples::gif_5x4()).unwrap();
        assert_eq!((p.kind, p.width, p.height), (ImageKind::Gif, 5, 4));
    }

    #[test]
    fn svg_html_and_junk_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
        assert_eq!(probe(svg), Err(MediaError::Unsupported));
        assert_eq!(probe(b"<!doctype html><p>hi"), Err(MediaError::Unsupported));
        assert_eq!(probe(b"\x89PNG"), Err(MediaError::Unsupported));
        assert_eq!(probe(&[0u8; 64]), Err(MediaError::Unsupported));
        assert_eq!(probe(b""), Err(MediaError::Empty));
    }

    #[test]
    fn zero_sized_images_are_refused() {
        let mut v = samples::png_3x2();
        v[16..20].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(probe(&v), Err(MediaError::Unsupported));
    }

    #[test]
    fn truncated_prefixes_of_an_image_never_panic() {
        let png = samples::png_3x2();
        for n in 0..png.len() {
            let _ = probe(&png[..n]);
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(512 * 1024), "512 KiB");
        assert_eq!(human_bytes(300), "300 bytes");
        assert_eq!(
            MediaError::TooLarge(10 * 1024 * 1024).to_string(),
            "the file is larger than the 10 MiB limit"
        );
    }

    #[test]
    fn the_hash_names_the_content() {
        assert_eq!(content_hash(b"a"), content_hash(b"a"));
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
        assert_eq!(content_hash(b"").len(), 64);
    }
}
