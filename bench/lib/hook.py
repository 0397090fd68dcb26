"""hook.py PORT ok|hang: a webhook receiver on 127.0.0.1:PORT that answers every
POST with 200 at once (ok), or reads it and never answers (hang)."""
import http.server, socketserver, sys, time

port, mode = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if mode == "hang":
            time.sleep(3600)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


Server(("127.0.0.1", port), Handler).serve_forever()
