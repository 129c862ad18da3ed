//! Cursors on every list: an opaque cursor is the offset of the next page.

use serde_json::{Value, json};

use super::error::McpError;

/// Items per page.
pub const PAGE_SIZE: usize = 50;

fn encode(offset: usize) -> String {
    format!("o{offset:x}")
}

fn decode(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix('o')?, 16).ok()
}

/// `{key: page, nextCursor?}` for the page the `cursor` param names.
pub fn page(items: Vec<Value>, cursor: Option<&str>, key: &str) -> Result<Value, McpError> {
    let start = match cursor {
        None => 0,
        Some(c) => match decode(c) {
            Some(offset) if offset <= items.len() => offset,
            _ => {
                return Err(McpError::InvalidParams(format!(
                    "invalid cursor {c:?}: pass a nextCursor from a previous page, or none"
                )));
            }
        },
    };
    let end = (start + PAGE_SIZE).min(items.len());
    let more = end < items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    let mut result = json!({ key: page });
    if more && let Some(map) = result.as_object_mut() {
        map.insert("nextCursor".into(), encode(end).into());
    }
    Ok(result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_cursors_and_reject_bad_ones() {
        let items: Vec<Value> = (0..120).map(Value::from).collect();
        let first = page(items.clone(), None, "x").unwrap();
        assert_eq!(first["x"].as_array().unwrap().len(), 50);
        let second = page(items.clone(), first["nextCursor"].as_str(), "x").unwrap();
        assert_eq!(second["x"][0], 50);
        assert!(page(items, Some("zz"), "x").is_err());
    }
}
