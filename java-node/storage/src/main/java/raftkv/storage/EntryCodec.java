package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Member;
import raftkv.core.Session;

/**
 * The binary form of a log entry inside a WAL record, written with {@link DataOutputStream} so that
 * every byte is accounted for in one place:
 *
 * <pre>
 *   term:long  index:long  command-tag:byte  command fields (UTF strings)  has-session:bool [clientId:UTF sequence:long]
 * </pre>
 *
 * A configuration entry's fields are {@link #writeConfiguration}'s: voters:int (id:UTF clientUrl:UTF
 * peerUrl:UTF)* learners:int (id:UTF clientUrl:UTF peerUrl:UTF)*. A WAL written before membership
 * changes holds no tag 5; a WAL that holds one cannot be read by an older raftkv ("unknown command
 * tag 5").
 *
 * The tags are part of the on-disk format: never renumber them. The peer transport writes entries
 * in AppendEntries the same way, so an entry has one binary form, on disk and on the wire.
 */
public final class EntryCodec {

    private static final byte NOOP = 0;
    private static final byte PUT = 1;
    private static final byte CAS = 2;
    private static final byte DELETE = 3;
    private static final byte OPEN_SESSION = 4;
    private static final byte CONFIGURATION = 5;

    /** More members than any configuration holds: a count beyond it is a damaged record. */
    static final int MAX_MEMBERS = 10_000;

    private EntryCodec() {}

    public static void write(LogEntry entry, DataOutputStream out) throws IOException {
        out.writeLong(entry.term());
        out.writeLong(entry.index());
        writeCommand(entry.command(), entry.session(), out);
    }

    /** A command and its session (or none) as an entry carries them: for a forwarded proposal too. */
    public static void writeCommand(Command command, Session session, DataOutputStream out) throws IOException {
        switch (command) {
            case Command.Noop noop -> out.writeByte(NOOP);
            case Command.OpenSession open -> out.writeByte(OPEN_SESSION);
            case Command.Put put -> {
                out.writeByte(PUT);
                out.writeUTF(put.id());
                out.writeUTF(put.name());
            }
            case Command.Cas cas -> {
                out.writeByte(CAS);
                out.writeUTF(cas.id());
                out.writeUTF(cas.expected());
                out.writeUTF(cas.name());
            }
            case Command.Delete delete -> {
                out.writeByte(DELETE);
                out.writeUTF(delete.id());
            }
            case Command.Configuration configuration -> {
                out.writeByte(CONFIGURATION);
                writeConfiguration(configuration.configuration(), out);
            }
        }
        out.writeBoolean(session != null);
        if (session != null) {
            out.writeUTF(session.clientId());
            out.writeLong(session.sequence());
        }
    }

    public static LogEntry read(DataInputStream in) throws IOException {
        long term = in.readLong();
        long index = in.readLong();
        Command command = readCommand(in);
        return new LogEntry(term, index, command, readSession(in));
    }

    /** The command {@link #writeCommand} wrote; read {@link #readSession} right after it. */
    public static Command readCommand(DataInputStream in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case NOOP -> new Command.Noop();
            case PUT -> new Command.Put(in.readUTF(), in.readUTF());
            case CAS -> new Command.Cas(in.readUTF(), in.readUTF(), in.readUTF());
            case DELETE -> new Command.Delete(in.readUTF());
            case OPEN_SESSION -> new Command.OpenSession();
            case CONFIGURATION -> new Command.Configuration(readConfiguration(in));
            default -> throw new IOException("unknown command tag " + tag);
        };
    }

    /** A cluster configuration: in configuration entries, snapshot files and InstallSnapshot messages. */
    public static void writeConfiguration(ClusterConfig configuration, DataOutputStream out) throws IOException {
        writeMembers(configuration.voters(), out);
        writeMembers(configuration.learners(), out);
    }

    private static void writeMembers(List<Member> members, DataOutputStream out) throws IOException {
        out.writeInt(members.size());
        for (Member m : members) {
            out.writeUTF(m.id());
            out.writeUTF(m.clientUrl());
            out.writeUTF(m.peerUrl());
        }
    }

    /** The configuration {@link #writeConfiguration} wrote. */
    public static ClusterConfig readConfiguration(DataInputStream in) throws IOException {
        List<Member> voters = readMembers(in);
        List<Member> learners = readMembers(in);
        try {
            return new ClusterConfig(voters, learners);
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed configuration: " + e.getMessage(), e);
        }
    }

    private static List<Member> readMembers(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_MEMBERS) {
            throw new IOException("malformed configuration: " + n + " members");
        }
        List<Member> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            if (id.isBlank()) {
                throw new IOException("malformed configuration: a blank member id");
            }
            members.add(new Member(id, in.readUTF(), in.readUTF()));
        }
        return members;
    }

    /** The session (or null) {@link #writeCommand} wrote after the command. */
    public static Session readSession(DataInputStream in) throws IOException {
        return in.readBoolean() ? new Session(in.readUTF(), in.readLong()) : null;
    }

    static byte[] toBytes(LogEntry entry) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            write(entry, out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
    }
}
