//! `inbox webhooks verify` (a captured delivery, checked and decoded) and
//! `inbox --fake listen` (the events the fakes deliver, printed).

use std::convert::Infallible;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use inbox_bindings::{AnyEvent, AnyVerifier, Provider, WebhookError};

use super::{printable, printable_json, Fakes, Refused};

/// The largest capture read: a verifier's body limit and room for headers.
const MAX_CAPTURE_BYTES: usize = inbox_bindings::DEFAULT_MAX_WEBHOOK_BODY_BYTES + 64 * 1024;

/// A captured request's headers and body.
pub struct Capture {
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// Parses a captured HTTP/1.1 request: request line, headers, a blank line,
/// then the body (`Content-Length` bytes, or the rest of the input).
pub fn parse_capture(raw: &[u8]) -> Result<Capture, Refused> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut slots);
    let head_length = match request.parse(raw) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => {
            return Err(Refused(
                "the capture ends inside its headers (no blank line after them)".into(),
            ))
        }
        Err(error) => {
            return Err(Refused(format!(
                "the capture is not an HTTP request: {error} (expected a request line, headers, a blank line, the body)"
            )))
        }
    };
    let mut headers = http::HeaderMap::new();
    for header in request.headers.iter() {
        let name = http::HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
            Refused(format!(
                "header name {:?} is invalid",
                printable(header.name)
            ))
        })?;
        let value = http::HeaderValue::from_bytes(header.value)
            .map_err(|_| Refused(format!("header `{name}` has an invalid value")))?;
        headers.append(name, value);
    }
    if headers
        .get(http::header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        return Err(Refused(
            "the capture's body is chunked: capture it decoded (with Content-Length)".into(),
        ));
    }
    let rest = &raw[head_length..];
    let body = match headers.get(http::header::CONTENT_LENGTH) {
        Some(value) => {
            let length: usize = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| Refused("Content-Length is not a number".into()))?;
            if rest.len() < length {
                return Err(Refused(format!(
                    "the capture's body is {} bytes, Content-Length says {length}",
                    rest.len()
                )));
            }
            rest[..length].to_vec()
        }
        None => rest.to_vec(),
    };
    Ok(Capture { headers, body })
}

/// When to verify as of: RFC 3339, or Unix seconds.
fn parse_at(at: &str) -> Result<SystemTime, Refused> {
    if let Ok(seconds) = at.parse::<u64>() {
        // A time SystemTime cannot hold is bad input, not a panic.
        return UNIX_EPOCH
            .checked_add(Duration::from_secs(seconds))
            .ok_or_else(|| {
                Refused(format!(
                    "--at {seconds} is past any time this system can hold"
                ))
            });
    }
    chrono::DateTime::parse_from_rfc3339(at)
        .map(SystemTime::from)
        .map_err(|_| {
            Refused(format!(
                "--at {:?} is neither RFC 3339 nor Unix seconds",
                printable(at)
            ))
        })
}

fn key(variable: &str) -> Result<String, Refused> {
    super::env(variable).ok_or_else(|| {
        Refused(format!(
            "{variable} is not set: the webhook's key comes only from the environment"
        ))
    })
}

fn shown(result: Result<Box<dyn AnyEvent>, WebhookError>, json: bool) -> Result<bool, Refused> {
    match result {
        Ok(event) => {
            if json {
                println!(
                    "{}",
                    printable_json(&serde_json::json!({
                        "verified": true,
                        "event_type": event.event_type(),
                        "known": !event.is_unknown(),
                        "event": event.to_json(),
                    }))
                );
            } else {
                let known = if event.is_unknown() {
                    " (a type this version does not know)"
                } else {
                    ""
                };
                println!("verified: {}{known}", printable(event.event_type()));
                println!("{}", printable_json(&event.to_json()));
            }
            Ok(true)
        }
        Err(refused) => {
            if json {
                println!(
                    "{}",
                    printable_json(&serde_json::json!({
                        "verified": false,
                        "reason": refused.to_string(),
                        "answer": refused.status().as_u16(),
                    }))
                );
            } else {
                println!(
                    "refused: {} (a receiver answers {})",
                    printable(&refused.to_string()),
                    refused.status().as_u16()
                );
            }
            Ok(false)
        }
    }
}

/// `inbox webhooks verify --provider P [FILE] [--at T]`.
pub fn verify(
    provider: Provider,
    file: Option<&str>,
    at: Option<&str>,
    json: bool,
) -> Result<bool, Refused> {
    let now = at
        .map(parse_at)
        .transpose()?
        .unwrap_or_else(SystemTime::now);
    let mut raw = Vec::new();
    let limit = MAX_CAPTURE_BYTES as u64 + 1;
    let read = match file {
        None | Some("-") => std::io::stdin()
            .take(limit)
            .read_to_end(&mut raw)
            .map_err(|e| e.to_string()),
        Some(path) => std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut raw))
            .map_err(|e| format!("{}: {e}", printable(path))),
    };
    read.map_err(|e| Refused(format!("cannot read the capture: {e}")))?;
    if raw.len() > MAX_CAPTURE_BYTES {
        return Err(Refused(format!(
            "the capture is larger than {MAX_CAPTURE_BYTES} bytes"
        )));
    }
    let capture = parse_capture(&raw)?;
    let variable = provider
        .env()
        .map(|env| env.webhook_key)
        .ok_or_else(|| Refused(format!("{provider} has no webhook key variable")))?;
    let verifier = inbox_bindings::verifier_for(provider, &key(variable)?)
        .map_err(|e| Refused(format!("{variable}: {e}")))?;
    if at.is_some() && !verifier.signs_time() {
        eprintln!("note: this provider's scheme signs no time: --at changes nothing");
    }
    let delivery = match verifier.verify_any_at(&capture.headers, &capture.body, now) {
        Ok(delivery) => delivery,
        Err(refused) => return shown(Err(refused), json),
    };
    for field in delivery.unfit() {
        eprintln!(
            "note: left out of the event, its value did not fit: {} = {} ({})",
            field.pointer(),
            field.value(),
            field.reason()
        );
    }
    shown(delivery.into_event(), json)
}

/// One event a fake delivered, as printed.
#[derive(serde::Serialize)]
struct Received {
    provider: &'static str,
    event_type: String,
    known: bool,
    summary: String,
}

/// `inbox --fake listen`: a receiver on loopback, subscribed to the three
/// fakes; each fake has a customer write (and Quo a contact change, TextUs
/// an opt-out, Partoo an event type this version does not know); every
/// delivery is verified and printed, in arrival order.
pub async fn listen(fakes: &Fakes, json: bool) -> Result<bool, Refused> {
    use http_body_util::BodyExt;
    let received: Arc<Mutex<Vec<Result<Received, String>>>> = Arc::default();
    // Each fake posts to /<provider>, verified with that fake's key.
    let verifiers: Arc<Vec<(String, Box<dyn AnyVerifier>)>> = Arc::new(
        fakes
            .iter()
            .map(|fake| (format!("/{}", fake.provider()), fake.any_verifier()))
            .collect(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Refused(format!("cannot listen on 127.0.0.1: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Refused(format!("cannot listen on 127.0.0.1: {e}")))?;
    let log = received.clone();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (log, verifiers) = (log.clone(), verifiers.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (log, verifiers) = (log.clone(), verifiers.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = http_body_util::Limited::new(
                                body,
                                inbox_bindings::DEFAULT_MAX_WEBHOOK_BODY_BYTES + 1,
                            )
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                            let outcome =
                                match verifiers.iter().find(|(path, _)| path == parts.uri.path()) {
                                    Some((_, verifier)) => verifier
                                        .verify_any(&parts.headers, &body)
                                        .and_then(|delivery| delivery.into_event())
                                        .map(|e| Received {
                                            provider: e.provider().as_str(),
                                            event_type: e.event_type().to_string(),
                                            known: !e.is_unknown(),
                                            summary: e.summary(),
                                        })
                                        .map_err(|refused| {
                                            (refused.status().as_u16(), refused.to_string())
                                        }),
                                    None => Err((404, "no fake posts to this path".to_string())),
                                };
                            let status = match &outcome {
                                Ok(_) => 200,
                                Err((status, _)) => *status,
                            };
                            log.lock()
                                .expect("not poisoned")
                                .push(outcome.map_err(|(_, reason)| reason));
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                                    .expect("a response builds"),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    fakes
        .subscribe_webhooks(&format!("http://{address}"))
        .map_err(|e| Refused(e.to_string()))?;
    let names: Vec<&str> = fakes
        .providers()
        .map(|provider| provider.as_str())
        .collect();
    if !json {
        println!(
            "listening on http://{address} ({}); the fakes deliver:",
            names.join(", ")
        );
    }
    // Each fake: a contact writes in its first conversation, then the
    // events of its other kinds; one fake at a time, so the order is fixed.
    for fake in fakes.iter() {
        if let Some(first) = fake.conversation_refs().first() {
            fake.receive(first, "Is my order ready?")
                .map_err(|e| Refused(e.to_string()))?;
        }
        fake.settled().await;
        fake.sample_events().await;
    }
    server.abort();
    let received = std::mem::take(&mut *received.lock().expect("not poisoned"));
    let all_verified = received.iter().all(Result::is_ok);
    if json {
        let rows: Vec<serde_json::Value> = received
            .iter()
            .map(|outcome| match outcome {
                Ok(event) => serde_json::to_value(event).expect("rows serialize"),
                Err(refused) => serde_json::json!({"refused": refused}),
            })
            .collect();
        println!("{}", printable_json(&rows));
        return Ok(all_verified);
    }
    for outcome in received {
        match outcome {
            Ok(event) => println!(
                "  {:<6} {:<20} {}{}",
                event.provider,
                printable(&event.event_type),
                printable(&event.summary),
                if event.known {
                    ""
                } else {
                    " (unknown type: kept as JSON)"
                }
            ),
            Err(refused) => println!("  refused: {}", printable(&refused)),
        }
    }
    Ok(all_verified)
}
