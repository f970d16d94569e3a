//! Lists hand out pages: at most `limit` rows, and a cursor (the id of the last row) that
//! asks for the rows after it in the list's order. An id as cursor keeps the pages stable
//! while rows are added before or after them.

use crate::{Error, Result};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The page size asked for, or the default; outside 1–200 is a field error.
pub fn limit(requested: Option<u32>) -> Result<u32> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid("limit", "must be from 1 to 200")),
    }
}

pub fn bad_cursor() -> Error {
    Error::invalid("cursor", "is not a cursor this API handed out")
}

/// Rows fetched with `limit + 1`: the page, and the cursor for the next when there is one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: u32,
    id: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(id);
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_stay_in_range() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(200)).unwrap(), 200);
        assert!(limit(Some(0)).is_err() && limit(Some(201)).is_err());
    }

    #[test]
    fn a_page_has_a_cursor_only_when_more_rows_follow() {
        assert_eq!(
            page(vec![1, 2, 3], 2, i32::to_string),
            (vec![1, 2], Some("2".to_owned()))
        );
        assert_eq!(page(vec![1, 2], 2, i32::to_string), (vec![1, 2], None));
    }
}
