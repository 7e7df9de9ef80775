//! A loopback server that enforces N requests per rolling second and answers
//! 429 with `Retry-After: 1` above it, counting both outcomes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

pub struct Limited {
    pub address: SocketAddr,
    pub served: Arc<AtomicUsize>,
    pub refused: Arc<AtomicUsize>,
    /// When the first and the latest request were served.
    pub span: Arc<Mutex<Option<(Instant, Instant)>>>,
}

impl Limited {
    /// Requests served per second between the first and the latest one
    /// (process start-up and the end of a run left out).
    pub fn served_rate(&self) -> f64 {
        let served = self.served.load(Ordering::Relaxed);
        match *self.span.lock().unwrap() {
            Some((first, last)) if served > 1 && last > first => {
                (served - 1) as f64 / (last - first).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

pub async fn start(per_second: usize) -> Limited {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let window: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    let span: Arc<Mutex<Option<(Instant, Instant)>>> = Arc::default();
    let (ok, limited, times) = (served.clone(), refused.clone(), span.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (window, ok, limited, times) =
                (window.clone(), ok.clone(), limited.clone(), times.clone());
            tokio::spawn(async move {
                let service = service_fn(move |_request: hyper::Request<hyper::body::Incoming>| {
                    let now = Instant::now();
                    let allowed = {
                        let mut window = window.lock().unwrap();
                        while window
                            .front()
                            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
                        {
                            window.pop_front();
                        }
                        let allowed = window.len() < per_second;
                        if allowed {
                            window.push_back(now);
                        }
                        allowed
                    };
                    let response = if allowed {
                        ok.fetch_add(1, Ordering::Relaxed);
                        let mut span = times.lock().unwrap();
                        *span = Some(match *span {
                            None => (now, now),
                            Some((first, _)) => (first, now),
                        });
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(b"{\"status\":\"success\"}")))
                    } else {
                        limited.fetch_add(1, Ordering::Relaxed);
                        hyper::Response::builder()
                            .status(429)
                            .header("retry-after", "1")
                            .body(Full::new(Bytes::new()))
                    };
                    async move { Ok::<_, Infallible>(response.unwrap()) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Limited {
        address,
        served,
        refused,
        span,
    }
}
