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
        switch (entry.command()) {
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
        Session session = entry.session();
        out.writeBoolean(session != null);
        if (session != null) {
            out.writeUTF(session.clientId());
            out.writeLong(session.sequence());
        }
    }

    public static LogEntry read(DataInputStream in) throws IOException {
        long term = in.readLong();
        long index = in.readLong();
        byte tag = in.readByte();
        Command command = switch (tag) {
            case NOOP -> new Command.Noop();
            case PUT -> new Command.Put(in.readUTF(), in.readUTF());
            case CAS -> new Command.Cas(in.readUTF(), in.readUTF(), in.readUTF());
            case DELETE -> new Command.Delete(in.readUTF());
            case OPEN_SESSION -> new Command.OpenSession();
            default -> throw new IOException("unknown command tag " + tag);
        };
        Session session = in.readBoolean() ? new Session(in.readUTF(), in.readLong()) : null;
        return new LogEntry(term, index, command, session);
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
