//! Timing bars with sub-cell precision: each cell is split in eighths, the bar's ends use
//! the left-block characters (`▏▎▍▌▋▊▉`), and a start inside a cell is drawn as an
//! inverted left block, so offset and width are both exact to 1/8 of a cell.

use ratatui::buffer::Buffer;
use ratatui::style::{Modifier, Style};

const LEFT: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// One cell of a bar: the glyph and whether it is drawn inverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub ch: char,
    pub inverted: bool,
}

/// The cells of a bar for `[start, end]` inside the window `[w0, w1]`, `width` cells wide.
/// Bars outside the window show an arrow at the edge they lie beyond.
pub fn cells(start: i64, end: i64, (w0, w1): (i64, i64), width: usize) -> Vec<Cell> {
    let blank = Cell {
        ch: ' ',
        inverted: false,
    };
    let mut out = vec![blank; width];
    if width == 0 {
        return out;
    }
    if end < w0 {
        out[0] = Cell {
            ch: '◂',
            inverted: false,
        };
        return out;
    }
    if start > w1 {
        out[width - 1] = Cell {
            ch: '▸',
            inverted: false,
        };
        return out;
    }
    let px = (width * 8) as i128;
    let span = i128::from((w1 - w0).max(1));
    let to_px = |t: i64| (i128::from(t.clamp(w0, w1) - w0) * px / span) as usize;
    let a = to_px(start).min(width * 8 - 1);
    let b = to_px(end).max(a + 1).min(width * 8);
    for (cell, slot) in out.iter_mut().enumerate() {
        let (cs, ce) = (cell * 8, cell * 8 + 8);
        let (lo, hi) = (a.max(cs), b.min(ce));
        if lo >= hi {
            continue;
        }
        *slot = if lo == cs {
            Cell {
                ch: LEFT[hi - lo - 1],
                inverted: false,
            }
        } else if hi == ce {
            Cell {
                ch: LEFT[lo - cs - 1],
                inverted: true,
            }
        } else {
            Cell {
                ch: LEFT[hi - lo - 1],
                inverted: false,
            }
        };
    }
    out
}

/// Draws a bar at (`x`, `y`) in `style`'s foreground colour.
pub fn draw(buf: &mut Buffer, x: u16, y: u16, cells: &[Cell], style: Style) {
    for (i, c) in cells.iter().enumerate() {
        if c.ch == ' ' {
            continue;
        }
        let s = if c.inverted {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        if let Some(cell) = buf.cell_mut((x + i as u16, y)) {
            cell.set_char(c.ch).set_style(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(c: &[Cell]) -> String {
        c.iter()
            .map(|c| if c.inverted { '^' } else { c.ch })
            .collect()
    }

    #[test]
    fn full_half_and_eighths() {
        assert_eq!(show(&cells(0, 100, (0, 100), 4)), "████");
        assert_eq!(show(&cells(0, 50, (0, 100), 4)), "██  ");
        // Starts 3/8 into the only cell: the inverted 3/8 block leaves that much empty.
        assert_eq!(
            cells(40, 100, (0, 100), 1)[0],
            Cell {
                ch: '▍',
                inverted: true
            }
        );
        // A zero-length span still shows a 1/8 tick.
        assert_eq!(show(&cells(100, 100, (0, 200), 4)), "  ▏ ");
        assert_eq!(show(&cells(0, 10, (50, 100), 4)), "◂   ");
        assert_eq!(show(&cells(200, 300, (50, 100), 4)), "   ▸");
    }

    #[test]
    fn nanosecond_times_beyond_2_pow_53() {
        let t0 = 1_795_896_411_910_624_978;
        assert_eq!(show(&cells(t0 + 500, t0 + 1000, (t0, t0 + 1000), 2)), " █");
    }
}
