//! A minimal HTTP/1.1 loopback server for the benches: serves pre-encoded
//! Partoo pages by cursor and counts the connections it accepted.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

pub struct Pager {
    pub address: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<AtomicUsize>,
}

impl Pager {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// `total` conversations in pages of `per_page`, cursor `p<index>`.
pub fn encode_pages(total: usize, per_page: usize) -> Vec<Bytes> {
    let pages = total.div_ceil(per_page);
    (0..pages)
        .map(|page| {
            let items: Vec<serde_json::Value> = (page * per_page..((page + 1) * per_page).min(total))
                .map(|i| {
                    serde_json::json!({
                        "id": i, "consumer_name": format!("Consumer {i}"), "is_read": i % 2 == 0,
                        "status": "Open", "messaging_partner": "Whatsapp", "issues": [],
                        "created_at": "2023-01-31 16:22:17.327878+00:00",
                        "business": {"id": "5409c35a97bbc544d8e26737", "name": "Shop"},
                        "last_message": {"id": i, "content_type": "Text", "sender_type": "Consumer",
                                         "content": "Hello, is the shop open on Sunday?", "status": "Success"}
                    })
                })
                .collect();
            let next = if page + 1 < pages { serde_json::json!(format!("p{}", page + 1)) } else { serde_json::Value::Null };
            Bytes::from(serde_json::to_vec(&serde_json::json!({"conversations": items, "count": total, "next_cursor": next})).unwrap())
        })
        .collect()
}

/// Starts the server on 127.0.0.1 (OS-assigned port) on the current runtime.
pub async fn start(pages: Vec<Bytes>) -> Pager {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let pages = Arc::new(pages);
    let (accepted, served) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            accepted.fetch_add(1, Ordering::Relaxed);
            let (pages, served) = (pages.clone(), served.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    served.fetch_add(1, Ordering::Relaxed);
                    let page = request
                        .uri()
                        .query()
                        .and_then(|query| {
                            query
                                .split('&')
                                .find_map(|pair| pair.strip_prefix("cursor=p"))
                        })
                        .and_then(|index| index.parse::<usize>().ok())
                        .unwrap_or(0);
                    let body = pages.get(page).cloned().unwrap_or_default();
                    async move {
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Pager {
        address,
        connections,
        requests,
    }
}
