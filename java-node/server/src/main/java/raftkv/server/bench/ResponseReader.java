package raftkv.server.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads HTTP/1.1 responses off one connection, one after the other, with one small buffer reused
 * for every response and no String built: the status, whether a {@code Retry-After} header came,
 * whether the server will close the connection, and for 429 and 503 whether the body says
 * {@code "definite":true} (raftkv's error bodies). Bodies are framed by {@code Content-Length}, by
 * {@code Transfer-Encoding: chunked}, or by the end of the connection (RFC 9112 §6.3), and skipped
 * as they stream, so a body of any length needs no more memory; the head (status line and
 * headers) must fit in the buffer.
 *
 * <p>Not thread-safe: one reader per connection.
 */
final class ResponseReader {

    /** What the load generator needs of one answer. */
    record Response(int status, boolean retryAfter, boolean definite, boolean close) {}

    /** Bytes that are not an HTTP/1.x response (a bad status line, a head too long, a bad chunk). */
    static final class MalformedResponseException extends IOException {
        MalformedResponseException(String message) {
            super(message);
        }
    }

    private static final byte[] DEFINITE = "\"definite\":true".getBytes(StandardCharsets.US_ASCII);
    /** DEFINITE's Knuth-Morris-Pratt failure function, to find it across any split of the body. */
    private static final int[] FALLBACK = fallback(DEFINITE);

    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int limit;
    /** How much of DEFINITE the body seen so far ends with; DEFINITE.length once found. */
    private int matched;

    ResponseReader(InputStream in, int bufferSize) {
        this.in = in;
        this.buf = new byte[bufferSize];
    }

    /** Reads the next whole response; 1xx interim answers are skipped. */
    Response read() throws IOException {
        while (true) {
            Response r = readOne();
            if (r.status() >= 200 || r.status() == 101) {
                return r;
            }
        }
    }

    private Response readOne() throws IOException {
        int headEnd = readHead();
        int lineEnd = indexOfCrlf(0, headEnd);
        // "HTTP/1.1 200 OK": the version, a space, three digits.
        if (lineEnd < 12 || !startsWith(0, "HTTP/1.") || buf[8] != ' ' || !isDigits(9, 12)) {
            throw new MalformedResponseException("not an HTTP/1.x status line");
        }
        int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
        if (status < 100 || status > 599) {
            throw new MalformedResponseException("status " + status);
        }
        boolean close = buf[7] == '0'; // HTTP/1.0 closes unless it says keep-alive
        boolean retryAfter = false;
        boolean chunked = false;
        long contentLength = -1;
        for (int line = lineEnd + 2; line < headEnd - 2; line = lineEnd + 2) {
            lineEnd = indexOfCrlf(line, headEnd);
            int colon = indexOf(':', line, lineEnd);
            if (colon < 0) {
                throw new MalformedResponseException("a header line without a colon");
            }
            int value = skipSpaces(colon + 1, lineEnd);
            if (nameIs(line, colon, "content-length")) {
                contentLength = parseDecimal(value, lineEnd);
            } else if (nameIs(line, colon, "transfer-encoding")) {
                chunked = containsIgnoreCase(value, lineEnd, "chunked");
            } else if (nameIs(line, colon, "connection")) {
                close = containsIgnoreCase(value, lineEnd, "close")
                        || (close && !containsIgnoreCase(value, lineEnd, "keep-alive"));
            } else if (nameIs(line, colon, "retry-after")) {
                retryAfter = true;
            }
        }
        pos = headEnd;
        matched = (status == 429 || status == 503) ? 0 : -1; // -1: not looked for
        if (status < 200 || status == 204 || status == 304) {
            // no body (RFC 9112 §6.3, rule 1)
        } else if (chunked) {
            skipChunkedBody();
        } else if (contentLength >= 0) {
            skipBody(contentLength);
        } else {
            skipToEnd(); // delimited by the close (RFC 9112 §6.3, rule 8)
            close = true;
        }
        return new Response(status, retryAfter, matched == DEFINITE.length, close);
    }

    /** Fills the buffer until it holds a whole head from index 0; returns the index after its CRLFCRLF. */
    private int readHead() throws IOException {
        compact();
        int from = 0;
        while (true) {
            for (int i = from; i + 3 < limit; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return i + 4;
                }
            }
            from = Math.max(0, limit - 3);
            if (limit == buf.length) {
                throw new MalformedResponseException("response head over " + buf.length + " bytes");
            }
            if (!fill()) {
                throw new EOFException(limit == 0 ? "connection closed before an answer" : "connection closed in a response head");
            }
        }
    }

    private void skipChunkedBody() throws IOException {
        while (true) {
            int end = readLine();
            long size = parseHex(pos, end);
            pos = end + 2;
            if (size == 0) {
                while (true) { // trailer fields, up to the empty line
                    int trailerEnd = readLine();
                    boolean empty = trailerEnd == pos;
                    pos = trailerEnd + 2;
                    if (empty) {
                        return;
                    }
                }
            }
            skipBody(size);
            int crlf = readLine();
            if (crlf != pos) {
                throw new MalformedResponseException("chunk data longer than its size");
            }
            pos = crlf + 2;
        }
    }

    /** Makes the buffer hold a whole line from pos; returns the index of its CR. */
    private int readLine() throws IOException {
        int from = pos;
        while (true) {
            int crlf = indexOfCrlf(from, limit);
            if (crlf >= 0) {
                return crlf;
            }
            from = Math.max(pos, limit - 1);
            if (pos > 0) {
                from -= pos;
                compact();
            } else if (limit == buf.length) {
                throw new MalformedResponseException("a chunk line over " + buf.length + " bytes");
            }
            if (!fill()) {
                throw new EOFException("connection closed in a chunked body");
            }
        }
    }

    private void skipBody(long length) throws IOException {
        long left = length;
        while (left > 0) {
            if (pos == limit) {
                pos = limit = 0;
                if (!fill()) {
                    throw new EOFException("connection closed " + left + " bytes before the end of a body");
                }
            }
            int n = (int) Math.min(left, limit - pos);
            scan(pos, n);
            pos += n;
            left -= n;
        }
    }

    private void skipToEnd() throws IOException {
        do {
            scan(pos, limit - pos);
            pos = limit = 0;
        } while (fill());
    }

    /** Looks for DEFINITE in body bytes, continuing the match of the bytes before them. */
    private void scan(int from, int n) {
        for (int i = from; i < from + n && matched >= 0 && matched < DEFINITE.length; i++) {
            while (matched > 0 && buf[i] != DEFINITE[matched]) {
                matched = FALLBACK[matched - 1];
            }
            if (buf[i] == DEFINITE[matched]) {
                matched++;
            }
        }
    }

    /** Reads more bytes after limit; false at the end of the stream. */
    private boolean fill() throws IOException {
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            return false;
        }
        limit += n;
        return true;
    }

    /** Moves the unread bytes (a pipelined or early answer; usually none) to the buffer's start. */
    private void compact() {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
    }

    // ---------------------------------------------------------------- bytes

    private int indexOfCrlf(int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (buf[i] == '\r' && buf[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private int indexOf(char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private int skipSpaces(int from, int to) {
        int i = from;
        while (i < to && (buf[i] == ' ' || buf[i] == '\t')) {
            i++;
        }
        return i;
    }

    private boolean startsWith(int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (buf[at + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean isDigits(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] < '0' || buf[i] > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether the header name in [from, to) is {@code lowerName}, ignoring case. */
    private boolean nameIs(int from, int to, String lowerName) {
        return to - from == lowerName.length() && regionIgnoringCase(from, lowerName);
    }

    private boolean containsIgnoreCase(int from, int to, String lower) {
        for (int i = from; i + lower.length() <= to; i++) {
            if (regionIgnoringCase(i, lower)) {
                return true;
            }
        }
        return false;
    }

    private boolean regionIgnoringCase(int at, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            int b = buf[at + i];
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private long parseDecimal(int from, int to) throws MalformedResponseException {
        long v = 0;
        int i = from;
        for (; i < to && buf[i] >= '0' && buf[i] <= '9'; i++) {
            v = v * 10 + (buf[i] - '0');
            if (v > Integer.MAX_VALUE) {
                throw new MalformedResponseException("Content-Length too large");
            }
        }
        if (i == from || skipSpaces(i, to) != to) {
            throw new MalformedResponseException("a bad Content-Length");
        }
        return v;
    }

    /** A chunk size: hex digits, then optionally ";extension" (ignored). */
    private long parseHex(int from, int to) throws MalformedResponseException {
        long v = 0;
        int i = from;
        for (; i < to && Character.digit(buf[i], 16) >= 0; i++) {
            v = v * 16 + Character.digit(buf[i], 16);
            if (v > Integer.MAX_VALUE) {
                throw new MalformedResponseException("chunk size too large");
            }
        }
        if (i == from) {
            throw new MalformedResponseException("a bad chunk size line");
        }
        return v;
    }

    private static int[] fallback(byte[] pattern) {
        int[] f = new int[pattern.length];
        for (int i = 1, k = 0; i < pattern.length; i++) {
            while (k > 0 && pattern[i] != pattern[k]) {
                k = f[k - 1];
            }
            if (pattern[i] == pattern[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }
}
