package raftkv.server.bench;

import static raftkv.server.bench.HostileClients.kib;
import static raftkv.server.bench.HostileClients.mib;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Many concurrent {@code Transfer-Encoding: chunked} PUTs of a body far over the 64 KiB client
 * limit, over raw sockets: a chunked body has no {@code Content-Length}, so a server that checks
 * only that header reads (and buffers) the whole body before refusing it. For each upload: the
 * answer's status, and how many body bytes the client had written when the answer arrived.
 *
 * <p>Those bytes include what the kernel's socket buffers took without the server reading it, so
 * first the same writer is run against a socket that never reads, on this machine: that "buffer
 * slack" is the most a server that stops reading at once could still be credited with.
 */
@Command(name = "chunked", mixinStandardHelpOptions = true,
        description = "Concurrent chunked PUTs of a huge body; status and bytes sent before the answer.")
final class ChunkedUploads implements Runnable {

    @Option(names = "--target", required = true, description = "Base URL of the node to upload to (the leader).")
    URI target;

    @Option(names = "--uploads", defaultValue = "48", description = "Concurrent uploads (default ${DEFAULT-VALUE}).")
    int uploads;

    @Option(names = "--body-mib", defaultValue = "30", description = "Body size per upload (default ${DEFAULT-VALUE}).")
    int bodyMib;

    @Option(names = "--chunk-kib", defaultValue = "16", description = "Chunk size (default ${DEFAULT-VALUE}).")
    int chunkKib;

    @Option(names = "--send-buffer-kib", defaultValue = "64",
            description = "The client's socket send buffer; small, so that few bytes sit in it unread (default ${DEFAULT-VALUE}).")
    int sendBufferKib;

    @Option(names = "--max-s", defaultValue = "120", description = "Longest an upload may take (default ${DEFAULT-VALUE}).")
    int maxSeconds;

    /** How one upload ended. */
    sealed interface Outcome {
        long sentBytes();

        /** An answer arrived after {@code sentBytes} of the body had been written. */
        record Answered(int status, long sentBytes, long millis) implements Outcome {}

        /** The connection broke (reset, refused) before any answer. */
        record Broken(String reason, long sentBytes, long millis) implements Outcome {}

        /** No answer within --max-s, whole body sent or not. */
        record Unanswered(long sentBytes) implements Outcome {}
    }

    @Override
    public void run() {
        long slack = bufferSlack();
        System.out.printf("chunked: socket buffer slack on this machine: %s (what a writer gets rid of to a peer that"
                + " reads nothing)%n", kib(slack));
        System.out.printf("chunked: %d concurrent chunked PUTs of %d MiB to %s%n", uploads, bodyMib, target);
        CountDownLatch go = new CountDownLatch(1);
        List<Outcome> outcomes = new CopyOnWriteArrayList<>(); // written by the uploads' virtual threads
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < uploads; i++) {
            int n = i;
            threads.add(Thread.ofVirtual().start(() -> {
                Outcome outcome = upload(n, go);
                outcomes.add(outcome);
            }));
        }
        go.countDown(); // all at once, as the flood did
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(maxSeconds + 10L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        report(outcomes, slack);
    }

    private Outcome upload(int n, CountDownLatch go) {
        AtomicLong sent = new AtomicLong();
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.setSendBufferSize(sendBufferKib << 10);
            socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 5_000);
            go.await();
            // The answer is read by a second thread, because a server that stops reading leaves
            // the writer blocked in write(): the reader then closes the socket to release it.
            AnswerReader reader = new AnswerReader(socket, sent, maxSeconds);
            Thread readerThread = Thread.ofVirtual().start(reader);
            try {
                OutputStream out = socket.getOutputStream();
                out.write(("PUT /kv/upload-" + n + " HTTP/1.1\r\nHost: " + HostileClients.hostOf(target)
                        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                long body = (long) bodyMib << 20;
                byte[] chunk = chunk(chunkKib << 10);
                while (sent.get() < body && reader.status() == 0 && !timedOut(start)) {
                    out.write(chunk);
                    sent.addAndGet(chunkKib << 10);
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // Expected once the reader has closed the socket after the answer; a break otherwise.
                readerThread.join(2_000);
                if (reader.status() == 0) {
                    // The reader's reason (a reset, an end without answer) rather than the
                    // "Socket closed" its closing caused here.
                    String reason = reader.failure() != null ? reader.failure()
                            : e.getClass().getSimpleName() + ": " + e.getMessage();
                    return new Outcome.Broken(reason, sent.get(), millisSince(start));
                }
            }
            readerThread.join(Math.max(1, TimeUnit.SECONDS.toMillis(maxSeconds) - millisSince(start)));
            int status = reader.status();
            if (status > 0) {
                return new Outcome.Answered(status, reader.sentAtAnswer(), reader.millisToAnswer());
            }
            return reader.failure() != null
                    ? new Outcome.Broken(reader.failure(), sent.get(), millisSince(start))
                    : new Outcome.Unanswered(sent.get());
        } catch (IOException e) {
            return new Outcome.Broken(e.getClass().getSimpleName() + ": " + e.getMessage(), sent.get(), millisSince(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Unanswered(sent.get());
        }
    }

    /** Reads the answer's status line; records how much had been sent then; closes the socket. */
    private static final class AnswerReader implements Runnable {
        private final Socket socket;
        private final AtomicLong sent;
        private final long start = System.nanoTime();
        private final int maxSeconds;
        private volatile int status;
        private volatile long sentAtAnswer;
        private volatile long millisToAnswer;
        private volatile String failure;

        AnswerReader(Socket socket, AtomicLong sent, int maxSeconds) {
            this.socket = socket;
            this.sent = sent;
            this.maxSeconds = maxSeconds;
        }

        @Override
        public void run() {
            try {
                socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(maxSeconds));
                InputStream in = socket.getInputStream();
                int answered = HostileClients.readStatus(in);
                sentAtAnswer = sent.get();
                millisToAnswer = millisSince(start);
                if (answered > 0) {
                    status = answered;
                } else {
                    failure = "closed without an answer";
                }
            } catch (SocketTimeoutException e) {
                failure = null; // unanswered
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            } finally {
                try {
                    socket.close(); // releases a writer blocked on a server that stopped reading
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }
        }

        int status() {
            return status;
        }

        long sentAtAnswer() {
            return sentAtAnswer;
        }

        long millisToAnswer() {
            return millisToAnswer;
        }

        String failure() {
            return failure;
        }
    }

    /** One chunk as sent on the wire: hex size, CRLF, data, CRLF. The data is JSON-ish filler. */
    private static byte[] chunk(int size) {
        byte[] head = (Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[head.length + size + 2];
        System.arraycopy(head, 0, chunk, 0, head.length);
        Arrays.fill(chunk, head.length, head.length + size, (byte) 'x');
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    /**
     * How many bytes a writer on this machine gets rid of to a loopback peer that never reads: the
     * writer blocks once both sockets' buffers are full. Measured once, bounded to 10 s.
     */
    private long bufferSlack() {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                Socket client = new Socket();
                Socket accepted = connect(client, server)) {
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = chunk(chunkKib << 10);
                try {
                    for (int i = 0; i < 100_000; i++) {
                        client.getOutputStream().write(chunk);
                        written.addAndGet(chunkKib << 10);
                    }
                } catch (IOException e) {
                    // closed below, once the writer has stalled
                }
            });
            long last = -1;
            for (int i = 0; i < 100 && written.get() != last; i++) {
                last = written.get();
                Thread.sleep(100);
            }
            long slack = written.get();
            client.close();
            writer.join(2_000);
            return slack;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private Socket connect(Socket client, ServerSocket server) throws IOException {
        client.setSendBufferSize(sendBufferKib << 10);
        client.connect(server.getLocalSocketAddress(), 5_000);
        return server.accept();
    }

    private void report(List<Outcome> outcomes, long slack) {
        HostileClients.Tally tally = new HostileClients.Tally();
        List<Long> answeredAfter = new ArrayList<>();
        List<Long> brokenAfter = new ArrayList<>();
        List<Long> millis = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            switch (outcome) {
                case Outcome.Answered a -> {
                    tally.add(Integer.toString(a.status()));
                    answeredAfter.add(a.sentBytes());
                    millis.add(a.millis());
                }
                case Outcome.Broken b -> {
                    tally.add("broken");
                    brokenAfter.add(b.sentBytes());
                    System.out.printf("chunked: broken after %s, %d ms: %s%n", mib(b.sentBytes()), b.millis(), b.reason());
                }
                case Outcome.Unanswered u -> tally.add("unanswered");
            }
        }
        long[] sent = answeredAfter.stream().mapToLong(Long::longValue).toArray();
        long[] broken = brokenAfter.stream().mapToLong(Long::longValue).toArray();
        long[] ms = millis.stream().mapToLong(Long::longValue).toArray();
        String answered = sent.length == 0 ? "no answer" : String.format(
                "written before the answer median %s, max %s; answered after median %d ms, max %d ms",
                kib(HostileClients.percentile(sent, 0.5)), kib(HostileClients.percentile(sent, 1)),
                HostileClients.percentile(ms, 0.5), HostileClients.percentile(ms, 1));
        String breaks = broken.length == 0 ? "" : String.format("; broken after median %s, max %s written",
                kib(HostileClients.percentile(broken, 0.5)), kib(HostileClients.percentile(broken, 1)));
        System.out.printf("chunked: answers: %s%n", tally);
        System.out.printf("NOTE: %d chunked %d MiB PUTs: %s; %s%s (socket buffer slack %s)%n", outcomes.size(), bodyMib,
                tally, answered, breaks, kib(slack));
    }

    private boolean timedOut(long start) {
        return millisSince(start) > TimeUnit.SECONDS.toMillis(maxSeconds);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
