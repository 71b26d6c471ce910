//! The IDX file format of MNIST (LeCun et al.), gzip-compressed or raw.
//!
//! ```text
//! byte 0, 1   0x00 0x00
//! byte 2      element type (0x08 = unsigned byte, the only one MNIST uses)
//! byte 3      number of dimensions d
//! then        d big-endian u32 sizes, then the elements in row-major order
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use super::DataError;

/// An array of unsigned bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxBytes {
    /// Sizes of the dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The elements in row-major order.
    pub data: Vec<u8>,
}

/// Reads an unsigned-byte IDX file; gzip is detected from the content, not the name.
pub fn read_u8(path: &Path) -> Result<IdxBytes, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::format(path, format!("corrupt gzip stream: {e}")))?;
        out
    } else {
        raw
    };
    parse_u8(&bytes, path)
}

/// Parses the bytes of an unsigned-byte IDX file (`path` names it in errors).
pub fn parse_u8(bytes: &[u8], path: &Path) -> Result<IdxBytes, DataError> {
    let err = |m: String| DataError::format(PathBuf::from(path), m);
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(err(format!("not an IDX file: expected the magic 00 00 08 <dims>, found {}", head.join(" "))));
    }
    if bytes[2] != 0x08 {
        return Err(err(format!("IDX element type 0x{:02x}, expected 0x08 (unsigned byte)", bytes[2])));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if ndims == 0 || bytes.len() < header {
        return Err(err(format!("truncated IDX header: {ndims} dimensions need {header} bytes, file has {}", bytes.len())));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected: usize = dims.iter().product();
    let found = bytes.len() - header;
    if found != expected {
        return Err(err(format!("IDX dimensions {dims:?} need {expected} data bytes, file has {found}")));
    }
    Ok(IdxBytes { dims, data: bytes[header..].to_vec() })
}

/// Writes an unsigned-byte IDX file, gzip-compressed when `path` ends in `.gz`.
pub fn write_u8(path: &Path, dims: &[usize], data: &[u8]) -> Result<(), DataError> {
    use std::io::Write;
    if dims.iter().product::<usize>() != data.len() {
        return Err(DataError::Invalid(format!("dimensions {dims:?} do not hold {} bytes", data.len())));
    }
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| DataError::Invalid(format!("dimension {d} exceeds the IDX limit 2³²−1")))?;
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    if path.extension().is_some_and(|e| e == "gz") {
        let file = std::fs::File::create(path).map_err(io)?;
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        gz.write_all(&bytes).map_err(io)?;
        gz.finish().map_err(io)?;
    } else {
        std::fs::write(path, bytes).map_err(io)?;
    }
    Ok(())
}
