//! `inbox webhooks verify` (a captured delivery, checked and decoded) and
//! `inbox --fake listen` (the events the fakes deliver, printed).

use std::convert::Infallible;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use inbox_bindings::{partoo, quo, textus, WebhookError, WebhookEvent};

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

fn shown<E: WebhookEvent + serde::Serialize>(
    result: Result<E, WebhookError>,
    json: bool,
) -> Result<bool, Refused> {
    match result {
        Ok(event) => {
            if json {
                println!(
                    "{}",
                    printable_json(&serde_json::json!({
                        "verified": true,
                        "event_type": event.event_type(),
                        "known": !event.is_unknown(),
                        "event": event,
                    }))
                );
            } else {
                let known = if event.is_unknown() {
                    " (a type this version does not know)"
                } else {
                    ""
                };
                println!("verified: {}{known}", printable(event.event_type()));
                println!("{}", printable_json(&event));
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
    provider: &str,
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
    let invalid = |variable: &str, error: WebhookError| Refused(format!("{variable}: {error}"));
    let at_given = at.is_some();
    match provider {
        "partoo" => {
            let verifier = match key("PARTOO_WEBHOOK_KEY")?.as_str() {
                "production" => partoo::webhooks::Verifier::production(),
                "sandbox" => partoo::webhooks::Verifier::sandbox(),
                pem => partoo::webhooks::Verifier::new(pem)
                    .map_err(|e| invalid("PARTOO_WEBHOOK_KEY", e))?,
            };
            check(&verifier, &capture, now, at_given, json)
        }
        "quo" => {
            let verifier = quo::webhooks::Verifier::new(&key("QUO_WEBHOOK_KEY")?)
                .map_err(|e| invalid("QUO_WEBHOOK_KEY", e))?;
            check(&verifier, &capture, now, at_given, json)
        }
        "textus" => {
            let verifier = textus::webhooks::Verifier::new(&key("TEXTUS_WEBHOOK_KEY")?)
                .map_err(|e| invalid("TEXTUS_WEBHOOK_KEY", e))?;
            check(&verifier, &capture, now, at_given, json)
        }
        other => Err(Refused(format!(
            "unknown provider {:?} (partoo, quo or textus)",
            printable(other)
        ))),
    }
}

/// One verification, whatever the provider: at `now`, saying so when the
/// scheme signs no time (`--at` then changes nothing).
fn check<V>(
    verifier: &V,
    capture: &Capture,
    now: SystemTime,
    at_given: bool,
    json: bool,
) -> Result<bool, Refused>
where
    V: inbox_bindings::WebhookVerifier,
    V::Event: serde::Serialize,
{
    if at_given && !verifier.signs_time() {
        eprintln!("note: this provider's scheme signs no time: --at changes nothing");
    }
    let delivery = match verifier.verify_delivery_at(&capture.headers, &capture.body, now) {
        Ok(delivery) => delivery,
        Err(refused) => return shown::<V::Event>(Err(refused), json),
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

fn summary_partoo(event: &partoo::webhooks::Event) -> String {
    use partoo::webhooks::Event;
    match event {
        Event::MessageCreated(created) | Event::MessageUpdated(created) => {
            let conversation = created.payload.conversation.as_ref().and_then(|c| c.id);
            let text = created
                .payload
                .message
                .as_ref()
                .map(|m| match m.typed_content() {
                    partoo::MessageContent::Text(text) => text,
                    _ => String::new(),
                })
                .unwrap_or_default();
            format!(
                "conversation {}: {text:?}",
                conversation.unwrap_or_default()
            )
        }
        other => other.event_type().to_string(),
    }
}

fn summary_quo(event: &quo::webhooks::Event) -> String {
    use quo::webhooks::Event;
    match event {
        Event::MessageReceived(received) => {
            let message = received
                .data
                .resource
                .as_ref()
                .or(received.data.object.as_ref());
            let conversation = message
                .and_then(|m| m.conversation_id.clone())
                .unwrap_or_default();
            let text = message
                .and_then(|m| m.text.clone().or_else(|| m.body.clone()))
                .unwrap_or_default();
            format!("conversation {conversation}: {text:?}")
        }
        Event::ContactUpdated(updated) => {
            let contact = updated
                .data
                .resource
                .as_ref()
                .or(updated.data.object.as_ref());
            format!(
                "contact {}",
                contact.and_then(|c| c.id.clone()).unwrap_or_default()
            )
        }
        other => other.event_type().to_string(),
    }
}

fn summary_textus(event: &textus::webhooks::Event) -> String {
    use textus::webhooks::Event;
    match event {
        Event::MessageReceived(delivery) => {
            let slug = delivery
                .conversation
                .as_ref()
                .and_then(|c| c.slug.clone())
                .unwrap_or_default();
            let text = delivery
                .message
                .as_ref()
                .and_then(|m| m.body.clone())
                .unwrap_or_default();
            format!("conversation {slug}: {text:?}")
        }
        Event::ContactOptedOut(delivery) => {
            let phone = delivery
                .contact
                .as_ref()
                .and_then(|c| c.get("phoneNumber"))
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_string();
            format!("contact {phone} opted out")
        }
        other => other.event_type().to_string(),
    }
}

/// `inbox --fake listen`: a receiver on loopback, subscribed to the three
/// fakes; each fake has a customer write (and Quo a contact change, TextUs
/// an opt-out, Partoo an event type this version does not know); every
/// delivery is verified and printed, in arrival order.
pub async fn listen(fakes: &Fakes, json: bool) -> Result<bool, Refused> {
    use http_body_util::BodyExt;
    let received: Arc<Mutex<Vec<Result<Received, String>>>> = Arc::default();
    let verifiers = Arc::new((
        fakes.partoo.webhook_verifier(),
        fakes.quo.webhook_verifier(),
        fakes.textus.webhook_verifier(),
    ));
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
                            let outcome = match parts.uri.path() {
                                "/partoo" => {
                                    verifiers.0.verify(&parts.headers, &body).map(|e| Received {
                                        provider: "partoo",
                                        event_type: e.event_type().to_string(),
                                        known: !e.is_unknown(),
                                        summary: summary_partoo(&e),
                                    })
                                }
                                "/quo" => {
                                    verifiers.1.verify(&parts.headers, &body).map(|e| Received {
                                        provider: "quo",
                                        event_type: e.event_type().to_string(),
                                        known: !e.is_unknown(),
                                        summary: summary_quo(&e),
                                    })
                                }
                                _ => verifiers.2.verify(&parts.headers, &body).map(|e| Received {
                                    provider: "textus",
                                    event_type: e.event_type().to_string(),
                                    known: !e.is_unknown(),
                                    summary: summary_textus(&e),
                                }),
                            };
                            let status = match &outcome {
                                Ok(_) => 200,
                                Err(refused) => refused.status().as_u16(),
                            };
                            log.lock()
                                .expect("not poisoned")
                                .push(outcome.map_err(|e| e.to_string()));
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
        .partoo
        .subscribe_webhooks(&format!("http://{address}/partoo"));
    fakes
        .quo
        .subscribe_webhooks(&format!("http://{address}/quo"));
    fakes
        .textus
        .subscribe_webhooks(&format!("http://{address}/textus"));
    if !json {
        println!("listening on http://{address} (partoo, quo, textus); the fakes deliver:");
    }
    fakes
        .partoo
        .receive_message(3, "Is the shop open on Sunday?");
    fakes
        .quo
        .receive_message("CN2", "Can I move my appointment?");
    fakes
        .quo
        .update_contact("CT1", serde_json::json!({"firstName": "Ada"}));
    fakes.textus.receive_message("abc", "Is my order ready?");
    fakes.textus.opt_out("+13035550100");
    fakes.partoo.webhooks_settled().await;
    fakes.quo.webhooks_settled().await;
    fakes.textus.webhooks_settled().await;
    fakes
        .partoo
        .send_webhook(&serde_json::json!({"type": "conversation_assigned", "payload": {"conversation": {"id": 3}}}))
        .await;
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
