//! Cursors on every list: an opaque cursor is the offset of the next page.

use serde::Serialize;
use serde_json::Value;

use super::error::McpError;

/// Items per page.
pub const PAGE_SIZE: usize = 50;

fn encode(offset: usize) -> String {
    format!("o{offset:x}")
}

fn decode(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix('o')?, 16).ok()
}

/// One page of a list, and the cursor of the next page when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// rmcp's paginated result type `$result` (`ListResourcesResult`, `ListPromptsResult`...) holding
/// the [`Page`] `$page`, without the stateless era's fields, which `finish` adds to every result.
macro_rules! paginated {
    ($result:ty, $page:expr) => {{
        let page = $page;
        let mut result = <$result>::with_all_items(page.items);
        result.next_cursor = page.next_cursor;
        result.result_type = None;
        result
    }};
}
pub(crate) use paginated;

/// A page of a list that rmcp 3.11 has no result type for (`tools/list`, whose tools carry
/// the `execution` rmcp's `Tool` lacks, and the 2025-11-25 `tasks/list`): the page's items
/// under `key`, then `nextCursor`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonPage {
    #[serde(flatten)]
    items: serde_json::Map<String, Value>,
    #[serde(rename = "nextCursor", skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

impl Page<Value> {
    /// The page with its items under `key`.
    pub fn keyed(self, key: &str) -> JsonPage {
        JsonPage {
            items: serde_json::Map::from_iter([(key.to_string(), Value::Array(self.items))]),
            next_cursor: self.next_cursor,
        }
    }
}

/// The page of `items` the `cursor` param names.
pub fn page<T>(items: Vec<T>, cursor: Option<&str>) -> Result<Page<T>, McpError> {
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
    Ok(Page {
        items: items.into_iter().skip(start).take(end - start).collect(),
        next_cursor: more.then(|| encode(end)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_cursors_and_reject_bad_ones() {
        let items: Vec<u32> = (0..120).collect();
        let first = page(items.clone(), None).unwrap();
        assert_eq!(first.items.len(), 50);
        let second = page(items.clone(), first.next_cursor.as_deref()).unwrap();
        assert_eq!(second.items[0], 50);
        let last = page(items.clone(), second.next_cursor.as_deref()).unwrap();
        assert_eq!((last.items.len(), last.next_cursor), (20, None));
        assert!(page(items, Some("zz")).is_err());
        let keyed = page(vec![Value::from(1)], None).unwrap().keyed("x");
        assert_eq!(
            serde_json::to_value(keyed).unwrap(),
            serde_json::json!({"x": [1]})
        );
    }
}
