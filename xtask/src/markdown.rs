//! Spec text as rustdoc reads it. A description in a provider's document
//! becomes a doc comment, and rustdoc compiles and runs every code block of
//! a doc comment that is not marked as something else (fenced `rust` or
//! bare, indented four spaces, `no_run`, ...): whoever controls a fetched
//! document would run code on a maintainer's machine and in CI. This finds
//! those blocks with the Markdown parser rustdoc uses and makes each a
//! `text` block.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

/// The only info string a code block keeps: rustdoc never runs `text`.
const NEUTRAL: &str = "text";

/// The extensions rustdoc turns on (they change where blocks end).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// A code block found in a text.
struct Block {
    range: Range<usize>,
    /// The info string of a fenced block; `None` for an indented one.
    info: Option<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    Parser::new_ext(text, options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::CodeBlock(kind)) => Some(Block {
                range,
                info: match kind {
                    CodeBlockKind::Fenced(info) => Some(info.to_string()),
                    CodeBlockKind::Indented => None,
                },
            }),
            _ => None,
        })
        .collect()
}

/// How many code blocks a text has, of any kind.
pub fn code_blocks(text: &str) -> usize {
    blocks(text).len()
}

/// How many code blocks rustdoc might compile: every one but `text`.
pub fn runnable_blocks(text: &str) -> usize {
    blocks(text)
        .iter()
        .filter(|block| block.info.as_deref().map(str::trim) != Some(NEUTRAL))
        .count()
}

/// The start of the line holding `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

/// The end of the line holding `at` (before its newline).
fn line_end(text: &str, at: usize) -> usize {
    text[at..]
        .find('\n')
        .map_or(text.len(), |offset| at + offset)
}

/// `text` with one non-text block made `text`, or `None` when its shape is
/// not one this rewrite knows.
fn rewrite_one(text: &str, block: &Block) -> Option<String> {
    let start = block.range.start;
    match &block.info {
        Some(_) => {
            // The opening fence: optional indentation, then ``` or ~~~ (3+),
            // then the info string, which is replaced.
            let end = line_end(text, start);
            let line = &text[start..end];
            let indent = line.len() - line.trim_start_matches(' ').len();
            let rest = &line[indent..];
            let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
            let fence = rest.len() - rest.trim_start_matches(fence_char).len();
            if fence < 3 {
                return None;
            }
            let info_at = start + indent + fence;
            Some(format!("{}{NEUTRAL}{}", &text[..info_at], &text[end..]))
        }
        None => {
            // An indented block: fence it where it stands. The container's
            // own prefix (list indentation, `> `) is kept; the block's four
            // spaces of indentation stay inside the fence as text.
            let first = line_start(text, start);
            let prefix_end = text[first..start]
                .char_indices()
                .rev()
                .find(|(_, c)| *c != ' ')
                .map_or(first, |(offset, c)| first + offset + c.len_utf8());
            let container = &text[first..prefix_end];
            let last = block.range.end.max(start + 1).min(text.len());
            let after = if text[..last].ends_with('\n') {
                last
            } else {
                (line_end(text, last.saturating_sub(1)) + 1).min(text.len())
            };
            let closing_newline = if after == text.len() && !text.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            Some(format!(
                "{}{container}```{NEUTRAL}\n{}{closing_newline}{container}```\n{}",
                &text[..first],
                &text[first..after],
                &text[after..]
            ))
        }
    }
}

/// The whole text as one `text` block: the fallback for a shape the
/// targeted rewrite does not know (a fence longer than any backtick run in
/// the text cannot be closed from inside).
fn fenced_whole(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{NEUTRAL}\n{}\n{fence}", text.trim_end_matches('\n'))
}

/// `text` with every code block rustdoc might run made a `text` block, and
/// how many were; `None` when it has none.
pub fn neutralize(text: &str) -> Option<(String, usize)> {
    let found = runnable_blocks(text);
    if found == 0 {
        return None;
    }
    let mut current = text.to_string();
    // One block per pass (offsets move); a text has at most a few.
    for _ in 0..=found * 2 {
        let Some(block) = blocks(&current)
            .into_iter()
            .find(|block| block.info.as_deref().map(str::trim) != Some(NEUTRAL))
        else {
            return Some((current, found));
        };
        match rewrite_one(&current, &block) {
            Some(rewritten) => current = rewritten,
            None => break,
        }
    }
    if runnable_blocks(&current) == 0 {
        return Some((current, found));
    }
    Some((fenced_whole(text), found))
}

/// How a doc fragment reaches rustdoc, which unindents the two kinds
/// differently when an item mixes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// `///` or `//!`: prettyplease prints a `#[doc]` this way when its text
    /// has no line break (and, outside, does not start with `/`).
    Sugared,
    /// `#[doc = "..."]` as written, and every doc attribute that reaches an
    /// item through a macro's tokens.
    Raw,
}

impl Fragment {
    /// How prettyplease prints an outer `#[doc = text]`.
    pub fn printed(text: &str) -> Self {
        if text.contains('\n') || text.starts_with('/') {
            Fragment::Raw
        } else {
            Fragment::Sugared
        }
    }
}

/// The text rustdoc gives its Markdown parser for an item's doc fragments:
/// the fragments joined by line breaks after rustdoc's unindenting (the
/// indentation common to every line with text removed, a tab counting as one
/// column, one more for raw fragments when kinds are mixed; lines of only
/// white space emptied). Written after `rustc_resolve::rustdoc`
/// (`unindent_doc_fragments`, `add_doc_fragment`), so that what is checked
/// is what rustdoc runs, not the attribute as it is held.
pub fn rustdoc_view(fragments: &[(String, Fragment)]) -> String {
    let mixed = fragments.windows(2).any(|pair| pair[0].1 != pair[1].1)
        && fragments.iter().any(|(_, kind)| *kind == Fragment::Sugared);
    let add = usize::from(mixed);
    let min_indent = fragments
        .iter()
        .filter_map(|(text, kind)| {
            text.lines()
                .filter(|line| line.chars().any(|c| !c.is_whitespace()))
                .map(|line| {
                    let whitespace = line.chars().take_while(|c| *c == ' ' || *c == '\t').count();
                    whitespace + if *kind == Fragment::Sugared { 0 } else { add }
                })
                .min()
        })
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (text, kind) in fragments {
        let indent = if *kind != Fragment::Sugared && min_indent > 0 {
            min_indent - add
        } else {
            min_indent
        };
        if text.is_empty() {
            out.push('\n');
            continue;
        }
        for line in text.lines() {
            if line.chars().any(|c| !c.is_whitespace()) {
                // Whitespace is one byte a column: cut by characters.
                let cut = line
                    .char_indices()
                    .nth(indent)
                    .map_or(line.len(), |(at, _)| at);
                out.push_str(&line[cut..]);
            } else {
                out.push_str(line.trim_start());
            }
            out.push('\n');
        }
    }
    out
}

/// Spec text in the one shape the generator writes: line breaks as `\n`,
/// tabs expanded to CommonMark's stops of four, lines of only white space
/// empty, and no indentation common to every line. Its lines, each written
/// as its own `#[doc = " line"]`, are what rustdoc reads, whatever the
/// kind of fragment (nothing is left for rustdoc to unindent or strip: no
/// tab, no block comment, no leading `*` column).
pub fn normalize(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<String> = unified
        .split('\n')
        .map(|line| {
            if line.chars().all(char::is_whitespace) {
                return String::new();
            }
            let mut expanded = String::with_capacity(line.len());
            let mut column = 0;
            for c in line.chars() {
                if c == '\t' {
                    let spaces = TAB_STOP - column % TAB_STOP;
                    expanded.extend(std::iter::repeat_n(' ', spaces));
                    column += spaces;
                } else {
                    expanded.push(c);
                    column += 1;
                }
            }
            expanded
        })
        .collect();
    let common = lines
        .iter()
        .filter(|line| !line.is_empty())
        .map(|line| line.len() - line.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|line| line.get(common..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// CommonMark's tab stops.
const TAB_STOP: usize = 4;

/// A doc text as the lines the generator writes (one `#[doc]` each, with a
/// leading space): normalized, every block rustdoc might run made `text`.
/// Also returns how many blocks were made `text`.
pub fn doc_lines(text: &str) -> (Vec<String>, usize) {
    let normalized = normalize(text);
    let (safe, rewritten) = neutralize(&normalized).unwrap_or((normalized, 0));
    let lines = safe
        .trim_end_matches('\n')
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            }
        })
        .collect();
    (lines, rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts with blocks rustdoc would run, in every shape it knows.
    const HOSTILE: [&str; 11] = [
        "Intro.\n\n```rust\nstd::process::exit(1);\n```\n\nAfter.",
        "```\nbare();\n```",
        "~~~\ntilde();\n~~~",
        "````no_run\nfour();\n````",
        "```rust,should_panic\npanic!();\n```",
        "Intro.\n\n    indented();\n    more();\n\nAfter.",
        "    indented_at_the_start();",
        "- a list item\n\n      indented_in_a_list();\n",
        "> quoted\n>\n>     indented_in_a_quote();\n",
        "1. item\n\n   ```\n   fenced_in_a_list();\n   ```\n",
        "```ignore\nnot closed();",
    ];

    #[test]
    fn every_block_rustdoc_would_run_becomes_text_and_nothing_else_changes() {
        for text in HOSTILE {
            assert!(runnable_blocks(text) > 0, "the case itself: {text:?}");
            let (rewritten, count) = neutralize(text).unwrap();
            assert_eq!(runnable_blocks(&rewritten), 0, "{text:?} → {rewritten:?}");
            assert!(count >= 1);
            assert_eq!(
                code_blocks(&rewritten),
                code_blocks(text),
                "{text:?} → {rewritten:?}"
            );
            // The code is still shown, as text.
            let code_line = text.lines().find(|l| l.ends_with(";")).unwrap().trim();
            assert!(rewritten.contains(code_line), "{rewritten:?}");
        }
    }

    #[test]
    fn text_without_runnable_blocks_is_left_alone() {
        for text in [
            "Plain prose with `inline code`.",
            "```text\nalready text\n```",
            "A list:\n- one\n- two",
            "",
        ] {
            assert_eq!(neutralize(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_fallback_fences_everything_unclosably() {
        let text = "a ```` b\n```rust\nx();\n```";
        let whole = fenced_whole(text);
        assert_eq!(runnable_blocks(&whole), 0, "{whole}");
        assert_eq!(code_blocks(&whole), 1);
        assert!(whole.starts_with("`````text\n"));
    }
}
