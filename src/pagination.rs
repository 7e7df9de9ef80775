//! Cursor pagination streams, generated on the builder of every operation
//! that matches its API's convention (`openapi/codegen.toml`): `.pages()`
//! yields whole responses, `.stream()` their items.
//!
//! Lazy (the next page is requested only when needed, one page in memory),
//! every parameter the caller set is sent on every page (only the cursor
//! changes), a repeated cursor ends with [`Error::PaginationLoop`], and an
//! error is yielded once and ends the stream.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use futures_util::stream::{self, Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::error::{from_generated, ProviderError};
use crate::Error;

/// A boxed stream of results, as returned by the generated `.pages()` and `.stream()`.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

enum State<B> {
    Fetch {
        template: B,
        cursor: Option<String>,
        seen: HashSet<String>,
    },
    Loop(String),
    Failed(Error),
    Done,
}

/// The pages of a paginated operation. `first` is the caller's builder (or
/// why it was refused); `with_cursor` sets the cursor on a copy of it.
#[doc(hidden)]
pub fn pages<'a, B, P, E, F, Fut>(
    first: Result<B, Error>,
    initial_cursor: Option<String>,
    with_cursor: fn(B, String) -> B,
    send: F,
    next_cursor: fn(&P) -> Option<&str>,
) -> BoxStream<'a, P>
where
    B: Clone + Send + 'a,
    P: DeserializeOwned + Send + 'a,
    E: ProviderError + Send + 'a,
    F: Fn(B) -> Fut + Send + Sync + 'a,
    Fut: Future<Output = Result<progenitor_client::ResponseValue<P>, progenitor_client::Error<E>>>
        + Send
        + 'a,
{
    let start = match first {
        Ok(template) => {
            let seen = initial_cursor.iter().cloned().collect();
            State::Fetch {
                template,
                cursor: None,
                seen,
            }
        }
        Err(error) => State::Failed(error),
    };
    let send = std::sync::Arc::new(send);
    Box::pin(stream::unfold(start, move |state| {
        let send = send.clone();
        async move {
            match state {
                State::Done => None,
                State::Failed(error) => Some((Err(error), State::Done)),
                State::Loop(cursor) => Some((Err(Error::PaginationLoop { cursor }), State::Done)),
                State::Fetch {
                    template,
                    cursor,
                    mut seen,
                } => {
                    let request = match cursor {
                        Some(cursor) => with_cursor(template.clone(), cursor),
                        None => template.clone(),
                    };
                    let page = match send(request).await {
                        Ok(response) => response.into_inner(),
                        Err(error) => {
                            return Some((Err(from_generated::<P, E>(error).await), State::Done))
                        }
                    };
                    let next = match next_cursor(&page) {
                        None | Some("") => State::Done,
                        Some(cursor) if !seen.insert(cursor.to_string()) => {
                            State::Loop(cursor.to_string())
                        }
                        Some(cursor) => State::Fetch {
                            template,
                            cursor: Some(cursor.to_string()),
                            seen,
                        },
                    };
                    Some((Ok(page), next))
                }
            }
        }
    }))
}

/// The items of a stream of pages, in order; an error ends the stream.
#[doc(hidden)]
pub fn items<'a, P, T>(pages: BoxStream<'a, P>, items_of: fn(P) -> Vec<T>) -> BoxStream<'a, T>
where
    P: Send + 'a,
    T: Send + 'a,
{
    Box::pin(pages.flat_map(move |page| match page {
        Ok(page) => stream::iter(items_of(page).into_iter().map(Ok)).left_stream(),
        Err(error) => stream::once(std::future::ready(Err(error))).right_stream(),
    }))
}

/// Checks a page size against the spec's bounds before anything is sent.
#[doc(hidden)]
pub fn check_page_size(
    parameter: &str,
    value: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
) -> Result<(), Error> {
    let Some(text) = value else { return Ok(()) };
    let size: f64 = text
        .parse()
        .map_err(|_| Error::InvalidInput(format!("{parameter} must be a number, not {text:?}")))?;
    let below = minimum.is_some_and(|minimum| size < minimum);
    let above = maximum.is_some_and(|maximum| size > maximum);
    if below || above {
        let bound = |bound: Option<f64>| bound.map(|b| b.to_string()).unwrap_or_else(|| "…".into());
        return Err(Error::InvalidInput(format!(
            "{parameter} must be within {}..={}, not {text}",
            bound(minimum),
            bound(maximum)
        )));
    }
    Ok(())
}
