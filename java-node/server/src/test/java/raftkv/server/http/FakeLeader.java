package raftkv.server.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import raftkv.core.Command;
import raftkv.core.ForwardOutcome;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.Session;
import raftkv.server.transport.MessageCodec;
import raftkv.server.transport.StreamTransport;

/**
 * Node n2 played by a test: the leader of term 1 for a real follower n1. It listens where n1
 * streams to n2 and hands the test the messages n1 sends; it appends entries to n1's log and
 * commits them, and answers forwarded proposals as the test decides (truthfully or not).
 */
final class FakeLeader implements AutoCloseable {

    static final long TERM = 1;

    private final ServerSocket server;
    private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    private final List<Socket> connections = new ArrayList<>();
    private StreamTransport toFollower;
    private long lastIndex;
    private long round;

    FakeLeader() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("fake-n2-accept").start(this::accept);
    }

    /** Where n1 should stream to n2. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Starts talking to n1 (listening at {@code follower}). */
    void connect(URI follower, String token) {
        toFollower = new StreamTransport("n2", Map.of("n1", follower), token,
                raftkv.server.identity.TestIdentities.credentials("n2", InProcessNode.THREE));
    }

    /** The index the next {@link #appendAndCommit} appends at. */
    long nextIndex() {
        return lastIndex + 1;
    }

    /** Appends {@code command} (with {@code session}, may be null) to n1's log and commits it; its index. */
    long appendAndCommit(Command command, Session session) {
        long prev = lastIndex;
        lastIndex++;
        round++;
        toFollower.send(List.of(new Message.AppendEntries(TERM, "n2", "n1", prev, prev == 0 ? 0 : TERM,
                List.of(new LogEntry(TERM, lastIndex, command, session)), lastIndex, round)));
        return lastIndex;
    }

    /** Tells n1 what became of its forward {@code proposal}. */
    void answer(Message.ForwardedProposal proposal, ForwardOutcome outcome) {
        toFollower.send(List.of(new Message.ForwardedProposalReply(TERM, "n2", "n1", proposal.incarnation(),
                proposal.proposalId(), outcome)));
    }

    /** The next proposal n1 forwards (other messages, e.g. AppendEntries replies, are skipped). */
    Message.ForwardedProposal nextForward() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Message message = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (message == null) {
                throw new AssertionError("n1 forwarded no proposal within 10 s");
            }
            if (message instanceof Message.ForwardedProposal proposal) {
                return proposal;
            }
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                synchronized (connections) {
                    connections.add(socket);
                }
                Thread.ofPlatform().daemon().name("fake-n2-read").start(() -> read(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Reads one {@code POST /raft/stream}: the head, then chunks holding frames. Never answers. */
    private void read(Socket socket) {
        try {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            while (!line(in).isEmpty()) {
                // request line and headers
            }
            DataInputStream frames = new DataInputStream(new Dechunked(in));
            while (true) {
                byte[] frame = new byte[frames.readInt()];
                frames.readFully(frame);
                received.add(MessageCodec.fromBytes(frame));
            }
        } catch (IOException | MessageCodec.MalformedFrameException e) {
            // the stream ended
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new EOFException();
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The body of a chunked HTTP request, chunk boundaries removed. */
    private static final class Dechunked extends InputStream {
        private final InputStream in;
        private int left;

        Dechunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            while (left == 0) {
                String size = line(in);
                if (size.isEmpty()) {
                    continue; // the CRLF after a chunk
                }
                left = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (left == 0) {
                    return -1;
                }
            }
            left--;
            return in.read();
        }
    }

    @Override
    public void close() throws IOException {
        if (toFollower != null) {
            toFollower.close();
        }
        server.close();
        synchronized (connections) {
            for (Socket socket : connections) {
                socket.close();
            }
        }
    }
}
