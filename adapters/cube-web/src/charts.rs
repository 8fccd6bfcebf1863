//! Charts drawn on the server as SVG: numbers in, bars out, no script. The template lays the
//! bars out; this module does the arithmetic (scaling to the longest bar) and is unit tested.

/// The width the longest bar is drawn at, in the chart's own units.
pub const BAR_SPACE: u32 = 360;
/// Where the bars start (the labels are to their left).
pub const BAR_X: u32 = 210;
/// The height of one bar and the space below it.
const ROW: u32 = 26;

/// A horizontal bar chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarChart {
    /// Its accessible title.
    pub title: String,
    /// The bars, in order.
    pub bars: Vec<Bar>,
    /// The chart's height (the view box is `0 0 640 height`).
    pub height: u32,
}

/// One bar, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// What it counts.
    pub label: String,
    /// The count, as shown.
    pub value: String,
    /// Its colour, `#rrggbb`.
    pub colour: String,
    /// Its top.
    pub y: u32,
    /// Its text's baseline.
    pub text_y: u32,
    /// Its length.
    pub width: u32,
    /// Where its value is written.
    pub value_x: u32,
}

impl BarChart {
    /// A chart of `(label, count, colour)` rows, bars scaled to the largest count (a chart
    /// of zeros draws no bars but keeps its labels).
    pub fn new(title: impl Into<String>, rows: Vec<(String, u64, String)>) -> Self {
        let largest = rows.iter().map(|(_, count, _)| *count).max().unwrap_or(0);
        let bars = rows
            .into_iter()
            .zip(0_u32..)
            .map(|((label, count, colour), index)| {
                let width = if largest == 0 {
                    0
                } else {
                    // Rounded, and at least one unit for a count above zero.
                    let scaled = (u128::from(count) * u128::from(BAR_SPACE)
                        + u128::from(largest) / 2)
                        / u128::from(largest);
                    u32::try_from(scaled)
                        .unwrap_or(BAR_SPACE)
                        .max(u32::from(count > 0))
                };
                let y = 6 + index * ROW;
                Bar {
                    label,
                    value: count.to_string(),
                    colour,
                    y,
                    text_y: y + 14,
                    width,
                    value_x: BAR_X + width + 6,
                }
            })
            .collect::<Vec<_>>();
        let height = 12 + u32::try_from(bars.len()).unwrap_or(0) * ROW;
        Self {
            title: title.into(),
            bars,
            height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, count: u64) -> (String, u64, String) {
        (label.to_owned(), count, "#336699".to_owned())
    }

    #[test]
    fn bars_are_scaled_to_the_largest_and_a_small_count_still_shows() {
        let chart = BarChart::new(
            "t",
            vec![row("a", 1000), row("b", 500), row("c", 1), row("d", 0)],
        );
        let widths: Vec<u32> = chart.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, vec![BAR_SPACE, BAR_SPACE / 2, 1, 0]);
        assert_eq!(chart.bars[1].y, chart.bars[0].y + 26);
        assert_eq!(chart.bars[0].value_x, BAR_X + BAR_SPACE + 6);
        assert_eq!(chart.height, 12 + 4 * 26);
    }

    #[test]
    fn a_chart_of_zeros_or_of_nothing_draws_no_bars() {
        let chart = BarChart::new("t", vec![row("a", 0)]);
        assert_eq!(chart.bars[0].width, 0);
        assert!(BarChart::new("t", Vec::new()).bars.is_empty());
        let huge = BarChart::new("t", vec![row("a", u64::MAX), row("b", u64::MAX / 2)]);
        assert_eq!(huge.bars[0].width, BAR_SPACE);
        assert_eq!(huge.bars[1].width, BAR_SPACE / 2);
    }
}
