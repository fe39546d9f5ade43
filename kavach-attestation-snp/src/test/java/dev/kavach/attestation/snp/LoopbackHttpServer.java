package dev.kavach.attestation.snp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A minimal HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that answers each request with what a
 * handler returns and records the request targets. One connection at a time, {@code Connection: close}.
 * Built on {@link ServerSocket} so the tests need no module beyond java.base.
 */
final class LoopbackHttpServer implements AutoCloseable {
    record Response(int status, Map<String, String> headers, byte[] body) {
        static Response ok(byte[] body) {
            return new Response(200, Map.of(), body);
        }

        static Response status(int status, Map<String, String> headers) {
            return new Response(status, headers, new byte[0]);
        }
    }

    private final ServerSocket socket;
    private final Function<String, Response> handler;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Thread thread;

    LoopbackHttpServer(Function<String, Response> handler) throws IOException {
        this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.handler = handler;
        this.thread = Thread.ofPlatform().daemon().name("loopback-http").start(this::serve);
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    /** Request targets (path and query) in arrival order. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket s = socket.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                String requestLine = in.readLine();
                if (requestLine == null) {
                    continue;
                }
                String line;
                while ((line = in.readLine()) != null && !line.isEmpty()) {
                    // Headers are not needed; GET has no body.
                }
                String target = requestLine.split(" ")[1];
                requests.add(target);
                Response r = handler.apply(target);
                StringBuilder head = new StringBuilder("HTTP/1.1 " + r.status() + " X\r\n");
                r.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
                head.append("Content-Length: ").append(r.body().length).append("\r\nConnection: close\r\n\r\n");
                OutputStream out = s.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(r.body());
                out.flush();
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
