//! An import's body, CSV or JSON, read into rows of `(header, value)`.
//!
//! Reading is linear in the body's size and bounded by [`MAX_ROWS`] and
//! [`MAX_COLUMNS`]; it is still CPU work (a 10 MB body takes tens of
//! milliseconds), so [`parse_off_workers`] runs it on a blocking thread,
//! away from the workers that answer other requests.

use std::collections::HashSet;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::extract::parse_json;

/// Most data rows one import takes: bounds a request's time and memory.
/// The README's contacts row says the same number.
pub const MAX_ROWS: usize = 10_000;

/// Most columns an import has: in its header row (CSV), in any one row,
/// and among all rows' keys together (JSON). A contact needs a handful;
/// hundreds of thousands of keys were a way to stall the server.
pub const MAX_COLUMNS: usize = 200;

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
    match mime.as_deref() {
        Some(mime) if mime.starts_with("multipart/") => Err(Error::validation(
            "file",
            "send the file itself as the body (Content-Type: text/csv)",
        )),
        Some(mime) if mime.contains("json") => json(body),
        Some(mime) if mime.contains("csv") || mime.starts_with("text/") => csv(body),
        _ if looks_like_json(body) => json(body),
        _ => csv(body),
    }
}

/// [`parse`] on a blocking thread: the async workers keep answering other
/// requests while a large or hostile file is read.
pub async fn parse_off_workers(content_type: Option<String>, body: Bytes) -> Result<Table> {
    tokio::task::spawn_blocking(move || parse(content_type.as_deref(), &body))
        .await
        .map_err(|error| Error::Internal(format!("import parsing task: {error}")))?
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
    if rows.len() > MAX_ROWS {
        return Err(too_many_rows());
    }
    let mut table = Table::default();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, row) in rows.into_iter().enumerate() {
        let Value::Object(object) = row else {
            return Err(Error::validation(
                format!("rows[{i}]"),
                "each row must be an object",
            ));
        };
        json_headers(&mut table.headers, &mut seen, &object, i + 1)?;
        table.rows.push(object.into_iter().collect());
    }
    Ok(table)
}

/// Adds the keys of the JSON row `row` (numbered from 1) that are new to
/// `headers`, refusing a row wider than [`MAX_COLUMNS`], a file whose rows
/// have more keys than that in all, and a key with NUL (MongoDB cannot
/// store it). Linear: `seen` holds the keys already listed.
fn json_headers(
    headers: &mut Vec<String>,
    seen: &mut HashSet<String>,
    object: &Map<String, Value>,
    row: usize,
) -> Result<()> {
    if object.len() > MAX_COLUMNS {
        return Err(Error::validation(
            "file",
            format!(
                "row {row} has {} columns; an import takes at most {MAX_COLUMNS}",
                object.len()
            ),
        ));
    }
    for key in object.keys() {
        if key.contains('\0') {
            return Err(Error::validation(
                "file",
                format!("row {row}: the column {key:?} contains NUL"),
            ));
        }
        if !seen.contains(key) {
            if seen.len() == MAX_COLUMNS {
                return Err(Error::validation(
                    "file",
                    format!("row {row} takes the file past {MAX_COLUMNS} distinct columns; an import takes at most {MAX_COLUMNS}"),
                ));
            }
            seen.insert(key.clone());
            headers.push(key.clone());
        }
    }
    Ok(())
}

fn too_many_rows() -> Error {
    Error::validation(
        "file",
        format!("an import takes at most {MAX_ROWS} rows; split the file"),
    )
}

/// CSV with a header row. Rows may be shorter or longer than the header
/// (extra cells are dropped); bytes that are not UTF-8 are replaced rather
/// than failing the file.
fn csv(body: &[u8]) -> Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers =
        csv_headers(reader.byte_headers().map_err(|error| {
            Error::validation("file", format!("unreadable CSV header: {error}"))
        })?)?;
    let mut table = Table {
        headers: headers.iter().filter(|h| !h.is_empty()).cloned().collect(),
        rows: Vec::new(),
    };
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|error| {
            Error::validation("file", format!("unreadable CSV at row {}: {error}", i + 1))
        })?;
        if record.len() > MAX_COLUMNS {
            return Err(Error::validation(
                "file",
                format!(
                    "row {} has {} cells; an import takes at most {MAX_COLUMNS} columns",
                    i + 1,
                    record.len()
                ),
            ));
        }
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
            return Err(too_many_rows());
        }
    }
    Ok(table)
}

/// The header row's cells, trimmed (blank ones stay, to keep positions):
/// at most [`MAX_COLUMNS`], none with NUL (MongoDB cannot store it in a
/// metadata key), each a 422 naming `file`.
fn csv_headers(record: &csv::ByteRecord) -> Result<Vec<String>> {
    if record.len() > MAX_COLUMNS {
        return Err(Error::validation(
            "file",
            format!(
                "the header row has {} columns; an import takes at most {MAX_COLUMNS}",
                record.len()
            ),
        ));
    }
    let headers: Vec<String> = record
        .iter()
        .map(|header| String::from_utf8_lossy(header).trim().to_string())
        .collect();
    if let Some(column) = headers.iter().position(|h| h.contains('\0')) {
        return Err(Error::validation(
            "file",
            format!("the header of column {} contains NUL", column + 1),
        ));
    }
    Ok(headers)
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
    fn wide_rows_and_nul_headers_are_refused_naming_file() {
        let field = |result: Result<Table>| result.unwrap_err().body().error.field;
        let wide: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        let csv = format!("{}\n", wide.join(","));
        assert_eq!(
            field(parse(Some("text/csv"), csv.as_bytes())).as_deref(),
            Some("file")
        );
        let row: Map<String, Value> = wide.iter().map(|k| (k.clone(), Value::from(1))).collect();
        let json = serde_json::to_vec(&vec![row]).unwrap();
        assert_eq!(field(parse(None, &json)).as_deref(), Some("file"));
        assert_eq!(
            field(parse(Some("text/csv"), b"name,ph\0one\n")).as_deref(),
            Some("file")
        );
        // Many narrow rows whose keys differ still add up to the cap.
        let rows: Vec<Value> = (0..=MAX_COLUMNS)
            .map(|i| serde_json::json!({ format!("k{i}"): 1 }))
            .collect();
        let json = serde_json::to_vec(&rows).unwrap();
        let err = parse(None, &json).unwrap_err();
        assert!(err.body().error.message.contains("row 201"), "{err:?}");
    }

    #[test]
    fn empty_body_names_file() {
        let err = parse(Some("text/csv"), b"  \n").unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("file"));
    }
}
