//! An import's body, CSV or JSON, read into rows of `(header, value)`.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::extract::parse_json;

/// Most data rows one import takes: bounds a request's time and memory.
pub const MAX_ROWS: usize = 25_000;

/// The rows of an import, cells keyed by their header. CSV cells are
/// strings; JSON rows keep their values' types.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Every header, in order of first appearance.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<(String, Value)>>,
}

/// Reads `body` as JSON when the content type says so (or, without one,
/// when it starts like JSON), else as CSV.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Table> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::validation("file", "the import is empty"));
    }
    let mime = content_type
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase());
    let table = match mime.as_deref() {
        Some(mime) if mime.starts_with("multipart/") => {
            return Err(Error::validation(
                "file",
                "send the file itself as the body (Content-Type: text/csv)",
            ))
        }
        Some(mime) if mime.contains("json") => json(body)?,
        Some(mime) if mime.contains("csv") || mime.starts_with("text/") => csv(body)?,
        _ if looks_like_json(body) => json(body)?,
        _ => csv(body)?,
    };
    if table.rows.len() > MAX_ROWS {
        return Err(Error::validation(
            "file",
            format!("an import takes at most {MAX_ROWS} rows; split the file"),
        ));
    }
    Ok(table)
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|byte| matches!(byte, b'{' | b'['))
}

/// `{"rows":[{…}]}` or a bare `[{…}]`.
fn json(body: &[u8]) -> Result<Table> {
    let rows = match parse_json::<Value>(body)? {
        Value::Array(rows) => rows,
        Value::Object(mut object) => match object.remove("rows") {
            Some(Value::Array(rows)) => rows,
            _ => {
                return Err(Error::validation(
                    "rows",
                    "rows must be an array of objects",
                ))
            }
        },
        _ => {
            return Err(Error::validation(
                "rows",
                "rows must be an array of objects",
            ))
        }
    };
    let mut table = Table::default();
    for (i, row) in rows.into_iter().enumerate() {
        let Value::Object(object) = row else {
            return Err(Error::validation(
                format!("rows[{i}]"),
                "each row must be an object",
            ));
        };
        for key in object.keys() {
            if !table.headers.contains(key) {
                table.headers.push(key.clone());
            }
        }
        table.rows.push(object.into_iter().collect());
    }
    Ok(table)
}

/// CSV with a header row. Rows may be shorter or longer than the header
/// (extra cells are dropped); bytes that are not UTF-8 are replaced rather
/// than failing the file.
fn csv(body: &[u8]) -> Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|error| Error::validation("file", format!("unreadable CSV header: {error}")))?
        .iter()
        .map(|header| String::from_utf8_lossy(header).trim().to_string())
        .collect();
    let mut table = Table {
        headers: headers.iter().filter(|h| !h.is_empty()).cloned().collect(),
        rows: Vec::new(),
    };
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|error| {
            Error::validation("file", format!("unreadable CSV at row {}: {error}", i + 1))
        })?;
        let row = headers
            .iter()
            .zip(record.iter())
            .filter(|(header, _)| !header.is_empty())
            .map(|(header, cell)| {
                (
                    header.clone(),
                    Value::String(String::from_utf8_lossy(cell).into_owned()),
                )
            })
            .collect();
        table.rows.push(row);
        if table.rows.len() > MAX_ROWS {
            break;
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_and_ragged_rows() {
        let table = parse(
            Some("text/csv"),
            b"\xEF\xBB\xBFName,Phone\nAlex,2155550100,extra\nSam\n",
        )
        .unwrap();
        assert_eq!(table.headers, ["Name", "Phone"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[1].len(), 1);
    }

    #[test]
    fn json_shapes() {
        let wrapped = parse(Some("application/json"), br#"{"rows":[{"name":"A"}]}"#).unwrap();
        let bare = parse(None, br#"[{"name":"A","phone":2155550100}]"#).unwrap();
        assert_eq!(wrapped.rows.len(), 1);
        assert_eq!(bare.headers, ["name", "phone"]);
        assert_eq!(
            parse(None, br#"{"rows":[1]}"#)
                .unwrap_err()
                .body()
                .error
                .field
                .as_deref(),
            Some("rows[0]")
        );
    }

    #[test]
    fn empty_body_names_file() {
        let err = parse(Some("text/csv"), b"  \n").unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("file"));
    }
}
