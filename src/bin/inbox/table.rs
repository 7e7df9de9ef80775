//! The one table printer of the `inbox` command and the tour (which
//! includes this file): columns aligned by display width, so CJK and emoji
//! (two columns each) and combining marks (none) line up.

use unicode_width::UnicodeWidthStr;

/// How a table is laid out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// Spaces before every line.
    pub indent: usize,
    /// A line of dashes under the headers.
    pub rule: bool,
}

/// `rows` under `headers`, each column as wide as its widest cell (by
/// display width), two spaces apart, no trailing spaces; a row shorter
/// than the headers has empty cells.
pub fn render(headers: &[&str], rows: &[Vec<String>], layout: Layout) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            rows.iter()
                .map(|row| row.get(i).map_or(0, |cell| cell.width()))
                .chain([header.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = " ".repeat(layout.indent);
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).copied().unwrap_or("");
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.push_str(&" ".repeat(width.saturating_sub(cell.width())));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(headers);
    if layout.rule {
        let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&dashes.iter().map(String::as_str).collect::<Vec<_>>());
    }
    for row in rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width() {
        let rows = vec![
            vec![
                "partoo:1".to_string(),
                "山田太郎".to_string(),
                "x".to_string(),
            ],
            vec!["quo:CN1".to_string(), "Ada 👩‍💻".to_string(), "y".to_string()],
            vec!["textus:abc".to_string(), "Zoë".to_string(), "z".to_string()],
        ];
        let text = render(&["ref", "name", "v"], &rows, Layout::default());
        let columns: Vec<usize> = text
            .lines()
            .map(|line| {
                let at = line.rfind(['x', 'y', 'z', 'v']).unwrap();
                line[..at].width()
            })
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.lines().all(|line| !line.ends_with(' ')), "{text}");
        // By characters, the CJK row would be four columns short.
        assert_ne!("山田太郎".chars().count(), "山田太郎".width());
    }

    #[test]
    fn a_rule_and_an_indent_and_short_rows() {
        let rows = vec![vec!["a".to_string()]];
        let text = render(
            &["one", "two"],
            &rows,
            Layout {
                indent: 2,
                rule: true,
            },
        );
        assert_eq!(text, "  one  two\n  ---  ---\n  a\n");
    }
}
