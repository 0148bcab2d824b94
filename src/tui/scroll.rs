//! Keeping a cursor on screen: the one rule every scrolled list and pane follows.

/// The first row to show so that row `cursor` is among the `height` rows shown from
/// `offset`: unchanged when it already is, else moved just enough.
pub fn keep_visible(offset: usize, cursor: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < offset {
        cursor
    } else if cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}

/// `keep_visible`, and never so far down that rows of a list of `len` would stay hidden
/// above while the bottom of the pane is blank (after the pane grew, say).
pub fn keep_visible_filled(offset: usize, cursor: usize, height: usize, len: usize) -> usize {
    keep_visible(offset, cursor, height).min(len.saturating_sub(height.max(1)))
}

#[cfg(test)]
mod tests {
    use super::{keep_visible, keep_visible_filled};

    #[test]
    fn a_grown_pane_shows_rows_above_instead_of_blank_rows() {
        assert_eq!(keep_visible_filled(3, 6, 5, 7), 2, "still a full pane");
        assert_eq!(keep_visible_filled(3, 6, 20, 7), 0, "everything fits");
        assert_eq!(keep_visible_filled(0, 0, 5, 0), 0, "empty list");
    }

    #[test]
    fn moves_only_as_far_as_needed() {
        assert_eq!(keep_visible(10, 12, 5), 10, "already shown");
        assert_eq!(keep_visible(10, 4, 5), 4, "above: it becomes the top row");
        assert_eq!(
            keep_visible(10, 20, 5),
            16,
            "below: it becomes the bottom row"
        );
        assert_eq!(
            keep_visible(3, 3, 0),
            3,
            "a zero-height pane counts as one row"
        );
    }
}
