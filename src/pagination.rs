//! Cursor pagination streams, generated on the builder of every operation
//! that matches its API's convention (`openapi/codegen.toml`): `.pages()`
//! yields each page as a [`Response`](crate::Response) (its request id
//! kept), `.stream()` their items.
//!
//! Lazy (the next page is requested only when needed, one page in memory),
//! every parameter the caller set is sent on every page (only the cursor
//! changes), a page size outside the spec's bounds is refused by the first
//! `send` before anything is sent, a repeated cursor ends with
//! [`Error::PaginationLoop`], and an error is yielded once and ends the stream.
//! What a stream keeps of the cursors it has seen is 8 bytes a page, however
//! long the server makes them.

use std::collections::HashSet;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;

use crate::Error;
use futures_util::stream::{self, Stream, StreamExt};

/// A boxed stream of results, as returned by the generated `.pages()` and `.stream()`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use futures_util::TryStreamExt;
/// use inbox_bindings::fake::partoo::FakePartoo;
///
/// let fake = FakePartoo::builder().conversations(25).user("alice", "key-a").start().await;
/// let client = fake.client("alice");
/// let all: Vec<_> = client.list_conversations().per_page(10).stream().try_collect().await.unwrap();
/// assert_eq!(all.len(), 25);
/// let pages: Vec<_> = client.list_conversations().per_page(10).pages().try_collect().await.unwrap();
/// assert_eq!(pages.len(), 3);
/// # }
/// ```
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

/// The cursors a stream has seen, as 64-bit hashes keyed at random for
/// each stream (a server cannot aim a collision): a repeat is caught at once,
/// and a server sending a new 60 KB cursor a page grows it by 8 bytes a page,
/// not 60 KB.
struct Seen {
    hasher: std::collections::hash_map::RandomState,
    hashes: HashSet<u64>,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            hasher: std::collections::hash_map::RandomState::new(),
            hashes: HashSet::new(),
        }
    }

    /// Records `cursor`; `false` when it was seen before.
    fn insert(&mut self, cursor: &str) -> bool {
        self.hashes.insert(self.hasher.hash_one(cursor))
    }
}

enum State<B> {
    Fetch {
        template: B,
        cursor: Option<String>,
        seen: Seen,
    },
    Loop(String),
    Done,
}

/// The pages of a paginated operation, from the caller's builder;
/// `with_cursor` sets the cursor on a copy of it.
pub fn pages<'a, B, P, F, Fut>(
    template: B,
    initial_cursor: Option<String>,
    with_cursor: fn(B, String) -> B,
    send: F,
    next_cursor: fn(&P) -> Option<&str>,
) -> BoxStream<'a, crate::Response<P>>
where
    B: Clone + Send + 'a,
    P: Send + 'a,
    F: Fn(B) -> Fut + Send + Sync + 'a,
    Fut: Future<Output = Result<crate::Response<P>, Error>> + Send + 'a,
{
    let mut seen = Seen::new();
    if let Some(cursor) = &initial_cursor {
        seen.insert(cursor);
    }
    let start = State::Fetch {
        template,
        cursor: None,
        seen,
    };
    let send = std::sync::Arc::new(send);
    Box::pin(stream::unfold(start, move |state| {
        let send = send.clone();
        async move {
            match state {
                State::Done => None,
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
                        Ok(response) => response,
                        Err(error) => return Some((Err(error), State::Done)),
                    };
                    let next = match next_cursor(page.body()) {
                        None | Some("") => State::Done,
                        Some(cursor) if !seen.insert(cursor) => State::Loop(cursor.to_string()),
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
pub fn items<'a, P, T>(
    pages: BoxStream<'a, crate::Response<P>>,
    items_of: fn(P) -> Vec<T>,
) -> BoxStream<'a, T>
where
    P: Send + 'a,
    T: Send + 'a,
{
    Box::pin(pages.flat_map(move |page| match page {
        Ok(page) => stream::iter(items_of(page.into_body()).into_iter().map(Ok)).left_stream(),
        Err(error) => stream::once(std::future::ready(Err(error))).right_stream(),
    }))
}
