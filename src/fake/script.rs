//! Scripting a fake: which requests a fault or a canned answer applies to
//! ([`Route`]), and how many requests a test expects ([`Times`]), checked
//! when the fake is dropped (as wiremock's `expect`) or by `verify()`.

use std::fmt;

use super::RecordedRequest;

/// Which requests: a method (or any) and a path pattern whose `{name}`
/// segments match any one segment (`/conversations/{id}/messages`).
///
/// ```
/// use inbox_bindings::fake::Route;
///
/// let route = Route::get("/v1/conversations/{id}");
/// assert!(route.matches("GET", "/v1/conversations/CN1"));
/// assert!(!route.matches("GET", "/v1/conversations/CN1/read"));
/// assert!(!route.matches("POST", "/v1/conversations/CN1"));
/// assert!(Route::any().matches("DELETE", "/anything"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    method: Option<http::Method>,
    /// `None`: any path.
    segments: Option<Vec<Segment>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Any,
}

impl Route {
    /// Requests of `method` to paths matching `pattern`.
    pub fn new(method: http::Method, pattern: &str) -> Route {
        Route {
            method: Some(method),
            segments: Some(segments(pattern)),
        }
    }

    /// Every request.
    pub fn any() -> Route {
        Route {
            method: None,
            segments: None,
        }
    }

    /// Requests of any method to paths matching `pattern`.
    pub fn path(pattern: &str) -> Route {
        Route {
            method: None,
            segments: Some(segments(pattern)),
        }
    }

    /// `GET` requests to `pattern`.
    pub fn get(pattern: &str) -> Route {
        Route::new(http::Method::GET, pattern)
    }

    /// `POST` requests to `pattern`.
    pub fn post(pattern: &str) -> Route {
        Route::new(http::Method::POST, pattern)
    }

    /// `PUT` requests to `pattern`.
    pub fn put(pattern: &str) -> Route {
        Route::new(http::Method::PUT, pattern)
    }

    /// `PATCH` requests to `pattern`.
    pub fn patch(pattern: &str) -> Route {
        Route::new(http::Method::PATCH, pattern)
    }

    /// `DELETE` requests to `pattern`.
    pub fn delete(pattern: &str) -> Route {
        Route::new(http::Method::DELETE, pattern)
    }

    /// Whether a request of `method` to `path` is one of these.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if self
            .method
            .as_ref()
            .is_some_and(|wanted| !wanted.as_str().eq_ignore_ascii_case(method))
        {
            return false;
        }
        let Some(pattern) = &self.segments else {
            return true;
        };
        let given = segments(path);
        given.len() == pattern.len()
            && pattern
                .iter()
                .zip(&given)
                .all(|(wanted, segment)| match (wanted, segment) {
                    (Segment::Any, Segment::Literal(text)) => !text.is_empty(),
                    (Segment::Literal(wanted), Segment::Literal(text)) => wanted == text,
                    (_, Segment::Any) => false,
                })
    }

    pub(crate) fn matches_request(&self, request: &RecordedRequest) -> bool {
        self.matches(&request.method, &request.path)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = self.method.as_ref().map_or("*", |m| m.as_str());
        match &self.segments {
            None => write!(formatter, "{method} *"),
            Some(segments) => {
                write!(formatter, "{method} ")?;
                if segments.is_empty() {
                    return formatter.write_str("/");
                }
                for segment in segments {
                    match segment {
                        Segment::Literal(text) => write!(formatter, "/{text}")?,
                        Segment::Any => formatter.write_str("/{}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                Segment::Any
            } else {
                Segment::Literal(segment.to_string())
            }
        })
        .collect()
}

/// How many matching requests a test expects: an exact count
/// (`3`), or a range (`1..=3`, `2..`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    at_least: usize,
    at_most: Option<usize>,
}

impl Times {
    /// Whether `count` requests satisfy it.
    pub fn allows(&self, count: usize) -> bool {
        count >= self.at_least && self.at_most.is_none_or(|most| count <= most)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at_most {
            Some(most) if most == self.at_least => write!(formatter, "exactly {most}"),
            Some(most) => write!(formatter, "{}..={most}", self.at_least),
            None => write!(formatter, "at least {}", self.at_least),
        }
    }
}

impl From<usize> for Times {
    fn from(count: usize) -> Times {
        Times {
            at_least: count,
            at_most: Some(count),
        }
    }
}

impl From<std::ops::RangeInclusive<usize>> for Times {
    fn from(range: std::ops::RangeInclusive<usize>) -> Times {
        Times {
            at_least: *range.start(),
            at_most: Some(*range.end()),
        }
    }
}

impl From<std::ops::RangeFrom<usize>> for Times {
    fn from(range: std::ops::RangeFrom<usize>) -> Times {
        Times {
            at_least: range.start,
            at_most: None,
        }
    }
}

/// Expectations a fake did not meet ([`verify`](super::partoo::FakePartoo::verify)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the fake's expectations were not met:\n{}", .0.join("\n"))]
pub struct Unmet(pub Vec<String>);

/// Each expectation not met by `log`, as a line.
pub(crate) fn unmet(expectations: &[(Route, Times)], log: &[RecordedRequest]) -> Vec<String> {
    expectations
        .iter()
        .filter_map(|(route, times)| {
            let count = log
                .iter()
                .filter(|request| route.matches_request(request))
                .count();
            (!times.allows(count)).then(|| format!("  {route}: expected {times}, received {count}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_by_method_and_segments() {
        let route = Route::post("/conversations/{id}/messages");
        assert!(route.matches("POST", "/conversations/7/messages"));
        assert!(route.matches("post", "/conversations/7/messages/"));
        assert!(!route.matches("POST", "/conversations//messages"));
        assert!(!route.matches("POST", "/conversations/7"));
        assert!(!route.matches("GET", "/conversations/7/messages"));
        assert!(Route::path("/").matches("GET", "/"));
        assert!(!Route::path("/").matches("GET", "/x"));
        assert_eq!(route.to_string(), "POST /conversations/{}/messages");
        assert_eq!(Route::any().to_string(), "* *");
    }

    #[test]
    fn times_allow_counts() {
        assert!(Times::from(2).allows(2));
        assert!(!Times::from(2).allows(3));
        assert!(Times::from(1..=3).allows(3) && !Times::from(1..=3).allows(0));
        assert!(Times::from(2..).allows(100) && !Times::from(2..).allows(1));
        assert_eq!(Times::from(0).to_string(), "exactly 0");
    }
}
