//! A webhook receiver on loopback: a plain HTTP/1.1 server on a thread that keeps
//! every request it gets (headers and body) and answers 200 (or what its handler
//! says), or hangs (never answers) when told to.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Decides the status code of each kept request (the rotation tests' service
/// verifies signatures and acts on the step before it answers).
pub type Handler = Arc<dyn Fn(&Received) -> u16 + Send + Sync>;

#[derive(Debug)]
pub struct Receiver {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    hang: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// Listens on `port` (0: any free port) and answers 200 to everything.
    pub fn start(port: u16) -> Self {
        Self::start_with(port, |_| 200)
    }

    /// Listens on `port` (0: any free port); `handler` answers each request.
    pub fn start_with(
        port: u16,
        handler: impl Fn(&Received) -> u16 + Send + Sync + 'static,
    ) -> Self {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the receiver");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let got = Arc::new(Mutex::new(Vec::new()));
        let hang = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (g, h, s) = (got.clone(), hang.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (g, h, s, a) = (g.clone(), h.clone(), s.clone(), handler.clone());
                        std::thread::spawn(move || serve(stream, g, h, s, a));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            port,
            got,
            hang,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Stop answering (requests are read and kept open, never answered).
    pub fn hang(&self, on: bool) {
        self.hang.store(on, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    stream: TcpStream,
    got: Arc<Mutex<Vec<Received>>>,
    hang: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    handler: Handler,
) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        // A stopped receiver is down: kept-alive connections close unanswered.
        if stop.load(Ordering::SeqCst) {
            return;
        }
        if hang.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(3600));
            return;
        }
        let request = Received {
            path,
            headers,
            body,
        };
        got.lock().expect("lock").push(request.clone());
        let answer = match handler(&request) {
            200 => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_string(),
            code => format!("HTTP/1.1 {code} Refused\r\ncontent-length: 2\r\n\r\nno"),
        };
        let _ = writer.write_all(answer.as_bytes());
    }
}
