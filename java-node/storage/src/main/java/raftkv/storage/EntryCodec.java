package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Session;

/**
 * The binary form of a log entry inside a WAL record, written with {@link DataOutputStream} so that
 * every byte is accounted for in one place:
 *
 * <pre>
 *   term:long  index:long  command-tag:byte  command fields (UTF strings)  has-session:bool [clientId:UTF sequence:long]
 * </pre>
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
            default -> throw new IOException("unknown command tag " + tag);
        };
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
