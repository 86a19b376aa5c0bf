package raftkv.server.transport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import raftkv.core.ForwardOutcome;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.storage.EntryCodec;

/**
 * The binary form of a peer message, one per frame of a {@link StreamTransport} stream:
 *
 * <pre>
 *   tag:byte  term:long  from:UTF  to:UTF  the message's own fields, in record order
 * </pre>
 *
 * Log entries are written by the WAL's {@link EntryCodec}, so an entry has one binary form. A small
 * AppendEntries with one 16-byte put is about 80 bytes here (its JSON was about 250) and costs no
 * reflection to read or write.
 *
 * <p>Every message type is one {@link Kind} in {@link #KINDS}: a new {@link Message} record needs one
 * entry there (and a sample in {@code MessageCodecTest}, which fails until every record has both).
 * Tags travel between nodes of one cluster: never renumber them.
 */
public final class MessageCodec {

    /** How one record type is written after the common header, and read back given the header. */
    private record Kind<M extends Message>(int tag, Class<M> type, Writer<M> writer, Reader<M> reader) {
        void write(Message message, DataOutputStream out) throws IOException {
            writer.write(type.cast(message), out);
        }
    }

    @FunctionalInterface
    private interface Writer<M> {
        void write(M message, DataOutputStream out) throws IOException;
    }

    @FunctionalInterface
    private interface Reader<M> {
        M read(Header header, DataInputStream in) throws IOException;
    }

    /** The fields every message starts with (§5.1: every message carries the sender's term). */
    private record Header(long term, String from, String to) {}

    private static final List<Kind<?>> KINDS = List.of(
            new Kind<>(1, Message.RequestVote.class,
                    (m, out) -> {
                        out.writeLong(m.lastLogIndex());
                        out.writeLong(m.lastLogTerm());
                        out.writeBoolean(m.leadershipTransfer());
                    },
                    (h, in) -> new Message.RequestVote(h.term(), h.from(), h.to(), in.readLong(), in.readLong(),
                            in.readBoolean())),
            new Kind<>(2, Message.RequestVoteReply.class,
                    (m, out) -> out.writeBoolean(m.voteGranted()),
                    (h, in) -> new Message.RequestVoteReply(h.term(), h.from(), h.to(), in.readBoolean())),
            new Kind<>(3, Message.PreVote.class,
                    (m, out) -> {
                        out.writeLong(m.lastLogIndex());
                        out.writeLong(m.lastLogTerm());
                    },
                    (h, in) -> new Message.PreVote(h.term(), h.from(), h.to(), in.readLong(), in.readLong())),
            new Kind<>(4, Message.PreVoteReply.class,
                    (m, out) -> out.writeBoolean(m.voteGranted()),
                    (h, in) -> new Message.PreVoteReply(h.term(), h.from(), h.to(), in.readBoolean())),
            new Kind<>(5, Message.AppendEntries.class,
                    (m, out) -> {
                        out.writeLong(m.prevLogIndex());
                        out.writeLong(m.prevLogTerm());
                        writeEntries(m.entries(), out);
                        out.writeLong(m.leaderCommit());
                        out.writeLong(m.round());
                    },
                    (h, in) -> new Message.AppendEntries(h.term(), h.from(), h.to(), in.readLong(), in.readLong(),
                            readEntries(in), in.readLong(), in.readLong())),
            new Kind<>(6, Message.AppendEntriesReply.class,
                    (m, out) -> {
                        out.writeBoolean(m.success());
                        out.writeLong(m.matchIndex());
                        out.writeLong(m.conflictTerm());
                        out.writeLong(m.conflictIndex());
                        out.writeLong(m.round());
                    },
                    (h, in) -> new Message.AppendEntriesReply(h.term(), h.from(), h.to(), in.readBoolean(),
                            in.readLong(), in.readLong(), in.readLong(), in.readLong())),
            new Kind<>(7, Message.InstallSnapshot.class,
                    (m, out) -> {
                        out.writeLong(m.lastIncludedIndex());
                        out.writeLong(m.lastIncludedTerm());
                        EntryCodec.writeConfiguration(m.configuration(), out);
                        out.writeLong(m.offset());
                        byte[] data = m.data();
                        out.writeInt(data.length);
                        out.write(data);
                        out.writeBoolean(m.done());
                    },
                    (h, in) -> new Message.InstallSnapshot(h.term(), h.from(), h.to(), in.readLong(), in.readLong(),
                            EntryCodec.readConfiguration(in), in.readLong(), readBytes(in), in.readBoolean())),
            new Kind<>(8, Message.InstallSnapshotReply.class,
                    (m, out) -> {
                        out.writeLong(m.lastIncludedIndex());
                        out.writeLong(m.nextOffset());
                        out.writeLong(m.matchIndex());
                    },
                    (h, in) -> new Message.InstallSnapshotReply(h.term(), h.from(), h.to(), in.readLong(),
                            in.readLong(), in.readLong())),
            new Kind<>(9, Message.TimeoutNow.class,
                    (m, out) -> {},
                    (h, in) -> new Message.TimeoutNow(h.term(), h.from(), h.to())),
            new Kind<>(10, Message.ForwardedProposal.class,
                    (m, out) -> {
                        out.writeLong(m.incarnation());
                        out.writeLong(m.proposalId());
                        EntryCodec.writeCommand(m.command(), m.session(), out);
                    },
                    (h, in) -> new Message.ForwardedProposal(h.term(), h.from(), h.to(), in.readLong(), in.readLong(),
                            EntryCodec.readCommand(in), EntryCodec.readSession(in))),
            new Kind<>(11, Message.ForwardedProposalReply.class,
                    (m, out) -> {
                        out.writeLong(m.incarnation());
                        out.writeLong(m.proposalId());
                        writeOutcome(m.outcome(), out);
                    },
                    (h, in) -> new Message.ForwardedProposalReply(h.term(), h.from(), h.to(), in.readLong(),
                            in.readLong(), readOutcome(in))),
            new Kind<>(12, Message.ReadIndexRequest.class,
                    (m, out) -> {
                        out.writeLong(m.incarnation());
                        out.writeLong(m.requestId());
                    },
                    (h, in) -> new Message.ReadIndexRequest(h.term(), h.from(), h.to(), in.readLong(), in.readLong())),
            new Kind<>(13, Message.ReadIndexReply.class,
                    (m, out) -> {
                        out.writeLong(m.incarnation());
                        out.writeLong(m.requestId());
                        out.writeLong(m.readIndex());
                    },
                    (h, in) -> new Message.ReadIndexReply(h.term(), h.from(), h.to(), in.readLong(),
                            in.readLong(), in.readLong())));

    private static final byte APPENDED = 1;
    private static final byte REFUSED = 2;

    private static final Map<Class<?>, Kind<?>> BY_TYPE =
            KINDS.stream().collect(Collectors.toUnmodifiableMap(Kind::type, Function.identity()));
    private static final Map<Integer, Kind<?>> BY_TAG =
            KINDS.stream().collect(Collectors.toUnmodifiableMap(Kind::tag, Function.identity()));

    private MessageCodec() {}

    /** The record types this codec knows (for the test that every {@link Message} record is one). */
    static List<Class<?>> knownTypes() {
        return KINDS.stream().<Class<?>>map(Kind::type).toList();
    }

    public static void write(Message message, DataOutputStream out) throws IOException {
        Kind<?> kind = BY_TYPE.get(message.getClass());
        if (kind == null) {
            throw new IllegalArgumentException("no binary form for " + message.getClass().getName());
        }
        out.writeByte(kind.tag());
        out.writeLong(message.term());
        out.writeUTF(message.from());
        out.writeUTF(message.to());
        kind.write(message, out);
    }

    public static byte[] toBytes(Message message) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            DataOutputStream out = new DataOutputStream(bytes);
            write(message, out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
    }

    /**
     * Reads one message that fills {@code frame} exactly.
     *
     * @throws MalformedFrameException if the bytes are not one well-formed message (unknown tag,
     *     truncated, trailing bytes, or a field the record itself refuses)
     */
    public static Message fromBytes(byte[] frame) throws MalformedFrameException {
        ByteArrayInputStream bytes = new ByteArrayInputStream(frame);
        DataInputStream in = new DataInputStream(bytes);
        try {
            int tag = in.readUnsignedByte();
            Kind<?> kind = BY_TAG.get(tag);
            if (kind == null) {
                throw new MalformedFrameException("unknown message tag " + tag);
            }
            Message message = kind.reader().read(new Header(in.readLong(), in.readUTF(), in.readUTF()), in);
            if (bytes.available() != 0) {
                throw new MalformedFrameException(bytes.available() + " bytes after a " + kind.type().getSimpleName());
            }
            return message;
        } catch (IOException | RuntimeException e) { // EOF, bad UTF-8, or a record's own validation
            throw new MalformedFrameException("not a valid peer message: " + e);
        }
    }

    private static void writeEntries(List<LogEntry> entries, DataOutputStream out) throws IOException {
        out.writeInt(entries.size());
        for (LogEntry entry : entries) {
            EntryCodec.write(entry, out);
        }
    }

    private static List<LogEntry> readEntries(DataInputStream in) throws IOException {
        int count = in.readInt();
        // Each entry takes at least 18 bytes: a count larger than the frame is a lie, not an allocation.
        if (count < 0 || count > in.available() / 18) {
            throw new IOException("entry count " + count + " does not fit the frame");
        }
        List<LogEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(EntryCodec.read(in));
        }
        return entries;
    }

    private static void writeOutcome(ForwardOutcome outcome, DataOutputStream out) throws IOException {
        switch (outcome) {
            case ForwardOutcome.Appended appended -> {
                out.writeByte(APPENDED);
                out.writeLong(appended.index());
                out.writeLong(appended.term());
            }
            case ForwardOutcome.Refused refused -> {
                out.writeByte(REFUSED);
                out.writeBoolean(refused.leaderHint() != null);
                if (refused.leaderHint() != null) {
                    out.writeUTF(refused.leaderHint());
                }
            }
        }
    }

    private static ForwardOutcome readOutcome(DataInputStream in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case APPENDED -> new ForwardOutcome.Appended(in.readLong(), in.readLong());
            case REFUSED -> new ForwardOutcome.Refused(in.readBoolean() ? in.readUTF() : null);
            default -> throw new IOException("unknown forward outcome tag " + tag);
        };
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("chunk length " + length + " does not fit the frame");
        }
        return in.readNBytes(length);
    }

    /** A frame that is not one well-formed message. */
    public static final class MalformedFrameException extends Exception {
        MalformedFrameException(String message) {
            super(message);
        }
    }
}
