package raftkv.server.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One kept-alive HTTP/1.1 connection to another node, for {@link Forwarder}: a request out, a
 * response in, and the connection ready for the next request. Just enough of HTTP/1.1 for talking
 * to our own Jetty (Content-Length or chunked bodies); not a general client. The JDK's HttpClient
 * did this before at several times the CPU cost per request, which on a busy follower showed.
 */
final class HttpExchange implements AutoCloseable {

    /** A response: status, headers with lower-case names, and body. */
    record Response(int status, Map<String, String> headers, byte[] body) {}

    private static final int MAX_HEAD_LINE = 8192;
    private static final int MAX_BODY = 16 << 20;

    // A channel, used in blocking mode through its socket's streams, so that looksOpen() can peek
    // without blocking.
    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean reusable = true;

    private HttpExchange(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.socket = channel.socket();
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    static HttpExchange connect(URI node, int timeoutMillis) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(new InetSocketAddress(node.getHost(), node.getPort()), timeoutMillis);
            return new HttpExchange(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** The last response was read whole and did not ask to close: another request may follow. */
    boolean reusable() {
        return reusable && channel.isOpen();
    }

    /**
     * Whether an idle connection is still open at the other end: nothing arrived on it, not even the
     * end of the stream (the other node closed it, e.g. at its idle timeout or when it stopped) or
     * a reset. Checked without blocking, before a request is written to a kept connection: a request
     * written to a connection the other end already closed fails after it was sent, and its outcome
     * would be unknown although it never arrived.
     */
    boolean looksOpen() {
        if (!reusable()) {
            return false;
        }
        try {
            if (in.available() > 0) {
                return false; // bytes nobody asked for: the connection is out of step
            }
            channel.configureBlocking(false);
            try {
                return channel.read(ByteBuffer.allocate(1)) == 0; // -1: closed; 1: out of step
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException e) { // reset
            return false;
        }
    }

    /**
     * Sends the request and reads the whole response, waiting at most {@code timeoutMillis} for
     * each read. {@code headers} must not hold CR or LF (Jetty parsed them from a request already).
     *
     * @throws java.net.SocketTimeoutException if the answer took too long (the connection is spent)
     * @throws IOException if the connection failed
     */
    Response exchange(String method, String target, URI node, Map<String, String> headers, byte[] body,
            int timeoutMillis) throws IOException {
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(node.getHost()).append(':').append(node.getPort()).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        socket.setSoTimeout(Math.max(1, timeoutMillis));
        reusable = false; // until the response was read whole
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + statusLine);
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + statusLine);
        }
        Map<String, String> responseHeaders = new LinkedHashMap<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                responseHeaders.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
        }
        byte[] responseBody = readBody(responseHeaders);
        reusable = !"close".equalsIgnoreCase(responseHeaders.get("connection"));
        return new Response(status, responseHeaders, responseBody);
    }

    private byte[] readBody(Map<String, String> headers) throws IOException {
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = readLine();
                int semicolon = sizeLine.indexOf(';');
                int size = parseSize(semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon), 16);
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers: none expected, skipped
                    }
                    return body.toByteArray();
                }
                if (body.size() + size > MAX_BODY) {
                    throw new IOException("response body over " + MAX_BODY + " bytes");
                }
                body.write(readExactly(size));
                readLine(); // the CRLF after the chunk
            }
        }
        String length = headers.get("content-length");
        return length == null ? new byte[0] : readExactly(parseSize(length, 10));
    }

    private static int parseSize(String text, int radix) throws IOException {
        try {
            int size = Integer.parseInt(text.trim(), radix);
            if (size < 0 || size > MAX_BODY) {
                throw new IOException("body size " + size + " out of range");
            }
            return size;
        } catch (NumberFormatException e) {
            throw new IOException("bad body size: " + text);
        }
    }

    private byte[] readExactly(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            throw new EOFException("connection closed inside a response body");
        }
        return bytes;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a response");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= MAX_HEAD_LINE) {
                throw new IOException("response line over " + MAX_HEAD_LINE + " bytes");
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }
}
