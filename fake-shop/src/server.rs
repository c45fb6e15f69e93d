//! The loopback HTTP server: the same handler behind axum on `127.0.0.1:<ephemeral port>`.

use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::oneshot;

use crate::FakeShop;

/// Largest request body the server reads; larger is answered 413.
const MAX_BODY: usize = 1 << 20;

/// A running loopback server; it stops serving when dropped.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// The API base URL to configure a client with: `http://127.0.0.1:PORT/api/v2`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn app(shop: FakeShop) -> Router {
    Router::new().fallback(serve_one).with_state(shop)
}

async fn serve_one(State(shop): State<FakeShop>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            shop.serve_request(http::Request::from_parts(parts, bytes))
                .await
        }
        Err(_) => shop.reject_too_large(http::Request::from_parts(parts, bytes::Bytes::new())),
    };
    response.map(Body::from)
}

impl FakeShop {
    /// Serves this shop over real HTTP on `127.0.0.1:<ephemeral port>`, as a task on the
    /// current tokio runtime. Dropping the [`LoopbackServer`] shuts it down gracefully.
    pub async fn serve(&self) -> std::io::Result<LoopbackServer> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let server = axum::serve(listener, app(self.clone())).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        tokio::spawn(server.into_future());
        Ok(LoopbackServer {
            addr,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Serves this shop over real HTTP on `127.0.0.1:<ephemeral port>` from a background thread
    /// with its own tokio runtime (for sync tests and CLI tests). Dropping the
    /// [`LoopbackServer`] stops the runtime and joins the thread.
    pub fn serve_in_thread(&self) -> std::io::Result<LoopbackServer> {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<()>();
        let shop = self.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-shop-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let server = axum::serve(listener, app(shop)).into_future();
                    tokio::select! {
                        _ = server => {}
                        _ = rx => {}
                    }
                });
            })?;
        Ok(LoopbackServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }
}
