//! Gzip for the pages' HTML. A page is rendered whole, a few kilobytes, so it is compressed
//! in one call with a compressor each worker thread keeps and resets, instead of a new
//! compressor per response: building one allocates and zeroes a few hundred kilobytes,
//! which cost more than compressing a page (measured in the page rush, docs/PERFORMANCE.md).
//! Other answers (stylesheets, scripts) keep the general compression layer, which skips
//! what is compressed here.

use std::cell::RefCell;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use http_body_util::BodyExt;

/// Below this, gzip's own header and trailer outweigh what it saves.
const MIN_SIZE: usize = 256;

thread_local! {
    /// Raw deflate at the fastest level: HTML comes out about as small as at the default.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// Compresses an HTML answer when the browser accepts gzip.
pub async fn html(req: Request, next: Next) -> Response {
    let wanted = accepts_gzip(req.headers());
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !wanted || !is_html || res.headers().contains_key(header::CONTENT_ENCODING) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A rendered page is one buffer in memory; collecting it cannot fail.
    let Ok(collected) = body.collect().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = collected.to_bytes();
    let gz = (bytes.len() >= MIN_SIZE).then(|| gzip(&bytes)).flatten();
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(gz) = gz else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::from(gz))
}

/// Whether `Accept-Encoding` allows gzip (named with a q above zero).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok());
            name.eq_ignore_ascii_case("gzip") && q.is_some_and(|q| q > 0.0)
        })
}

/// `input` as a gzip member (RFC 1952): header, raw deflate, CRC-32 and length. None if
/// the compressor fails (the page then goes uncompressed).
pub(crate) fn gzip(input: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(input.len()).ok()?;
    // Magic, deflate, no flags, no time, no extra flags, unknown OS.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    DEFLATE.with_borrow_mut(|d| {
        d.reset();
        loop {
            out.reserve(input.len() / 2 + 64);
            let done = usize::try_from(d.total_in()).ok()?;
            match d.compress_vec(input.get(done..)?, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(()),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(input);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn unzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .expect("a valid gzip member");
        out
    }

    #[test]
    fn pages_come_back_whole_also_from_a_reused_compressor() {
        let page = "<p>Kuota sesi ini sudah penuh. Pilih sesi atau tanggal lain.</p>\n".repeat(80);
        let other = "<li>Kartu Tanda Penduduk (KTP) asli</li>".repeat(300);
        for input in [page.as_bytes(), other.as_bytes(), page.as_bytes(), b"x"] {
            let gz = gzip(input).expect("compressed");
            assert_eq!(unzip(&gz), input);
        }
        let gz = gzip(page.as_bytes()).expect("compressed");
        assert!(gz.len() * 10 < page.len(), "{} of {}", gz.len(), page.len());
    }

    #[test]
    fn gzip_is_used_only_where_the_browser_allows_it() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br, zstd"));
        assert!(!with("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
