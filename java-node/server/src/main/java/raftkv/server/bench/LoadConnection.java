package raftkv.server.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import raftkv.server.bench.ResponseReader.MalformedResponseException;
import raftkv.server.bench.ResponseReader.Response;

/**
 * One closed-loop client connection of ConnLoad, run by its own virtual thread: send a request on
 * a random key, read its whole answer, record it, send the next. Keep-alive; a connection the
 * server closes, or that breaks, or that times out, is opened again.
 *
 * <p>Timeouts are not socket timeouts (a timer per read would cost every request): the request's
 * send time is published in {@link #sentAt}, and ConnLoad's watchdog thread counts a request older
 * than the timeout, marks it {@link #TIMED_OUT} and closes its socket; this thread's read or write
 * then fails, and it opens a new connection.
 */
final class LoadConnection implements Runnable {

    static final long IDLE = 0;
    static final long TIMED_OUT = -1;
    /** How long a connection waits after a failed connect: a dead server costs no busy loop. */
    private static final long CONNECT_RETRY_MS = 250;
    private static final int BUFFER_BYTES = 4096;

    /** What every connection shares. {@code clock} is ConnLoad's: nanoseconds since it started, > 0. */
    record Shared(InetSocketAddress address, byte[][] requests, LoadStats stats, Semaphore connecting,
            CountDownLatch firstAttempts, AtomicInteger open, int connectTimeoutMs, Clock clock) {}

    interface Clock {
        long now();
    }

    private final Shared shared;
    /** The clock time the request in flight was sent, {@link #IDLE} or {@link #TIMED_OUT}. */
    final AtomicLong sentAt = new AtomicLong(IDLE);
    private volatile Socket socket;
    private volatile boolean stopping;

    LoadConnection(Shared shared) {
        this.shared = shared;
    }

    @Override
    public void run() {
        boolean first = true;
        ResponseReader reader = null;
        OutputStream out = null;
        LoadStats stats = shared.stats();
        while (!stopping) {
            if (socket == null) {
                Socket s = connect(first);
                if (first) {
                    first = false;
                    shared.firstAttempts().countDown();
                }
                if (s == null) {
                    sleepMillis(CONNECT_RETRY_MS);
                    continue;
                }
                try {
                    reader = new ResponseReader(s.getInputStream(), BUFFER_BYTES);
                    out = s.getOutputStream();
                } catch (IOException e) {
                    stats.count(stats.connectErrors, shared.clock().now());
                    closeSocket();
                    continue;
                }
            }
            byte[] request = shared.requests()[ThreadLocalRandom.current().nextInt(shared.requests().length)];
            long sent = shared.clock().now();
            sentAt.set(sent);
            try {
                out.write(request);
            } catch (IOException e) {
                failed(stats.writeErrors);
                continue;
            }
            Response r;
            try {
                r = reader.read();
            } catch (MalformedResponseException e) {
                failed(stats.malformed);
                continue;
            } catch (IOException e) {
                failed(stats.readErrors);
                continue;
            }
            long done = shared.clock().now();
            if (!sentAt.compareAndSet(sent, IDLE)) {
                // Complete just as the watchdog gave up on it: it counted the timeout and closed the socket.
                closeSocket();
                continue;
            }
            stats.answered(r, sent, done);
            if (r.close()) {
                stats.count(stats.closedByServer, done);
                closeSocket();
            }
        }
        closeSocket();
    }

    /** After a failed exchange: counts {@code error}, unless the watchdog closed the socket (its timeout counted). */
    private void failed(LongAdder error) {
        long now = shared.clock().now();
        boolean timedOut = sentAt.getAndSet(IDLE) == TIMED_OUT;
        if (!timedOut && !stopping) {
            shared.stats().count(error, now);
        }
        closeSocket();
    }

    /** Opens the socket, at most {@code connecting}'s permits at a time; null if it failed. */
    private Socket connect(boolean first) {
        LoadStats stats = shared.stats();
        try {
            shared.connecting().acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
            return null;
        }
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(shared.address(), shared.connectTimeoutMs());
        } catch (IOException e) {
            closeQuietly(s);
            if (!stopping) {
                long now = shared.clock().now();
                stats.count(stats.connectErrors, now);
                if (stats.windowStart() == Long.MAX_VALUE) {
                    stats.rampConnectErrors.increment();
                }
            }
            return null;
        } finally {
            shared.connecting().release();
        }
        if (!first) {
            stats.count(stats.reconnects, shared.clock().now());
        }
        shared.open().incrementAndGet();
        socket = s;
        if (stopping) { // stop() may have looked before the field was set
            closeSocket();
            return null;
        }
        return s;
    }

    /**
     * Called by the watchdog at {@code now}: if the request in flight was sent before {@code
     * sentBefore}, counts a timeout (now, not when this thread wakes) and closes its socket.
     */
    void timeOutIfOlder(long sentBefore, long now) {
        long sent = sentAt.get();
        if (sent > 0 && sent < sentBefore && sentAt.compareAndSet(sent, TIMED_OUT)) {
            shared.stats().count(shared.stats().timeouts, now);
            Socket s = socket;
            if (s != null) {
                closeQuietly(s);
            }
        }
    }

    boolean inFlight() {
        return sentAt.get() > 0;
    }

    /** Ends the loop: the blocked read or write fails at once, and no error counts. */
    void stop() {
        stopping = true;
        Socket s = socket;
        if (s != null) {
            closeQuietly(s);
        }
    }

    /** Closes and forgets the socket; only this connection's thread calls it. */
    private void closeSocket() {
        Socket s = socket;
        if (s != null) {
            socket = null;
            shared.open().decrementAndGet();
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private void sleepMillis(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
