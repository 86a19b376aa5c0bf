package raftkv.core;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Writing and reading the pieces of a {@link KvStore} snapshot: strings (length-prefixed UTF-8, so
 * values of any size fit) and the recorded {@link Result}s of the session table, on data streams;
 * the storage module adds the checksums and files. The tags are part of the format: never renumber.
 */
final class StateMachineBytes {

    static final int MAGIC = 0x4B_56_53_31; // "KVS1"

    private static final byte OK = 0;
    private static final byte OK_NULL = 1;
    private static final byte NOT_FOUND = 2;
    private static final byte MISMATCH = 3;
    private static final byte STALE_SESSION = 4;
    private static final byte SESSION_OPENED = 5;
    private static final byte SESSION_EXPIRED = 6;
    private static final byte SESSION_TABLE_FULL = 7;
    private static final byte QUOTA_EXCEEDED = 8;

    private StateMachineBytes() {}

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            throw new IOException("bad string length " + length);
        }
        // readNBytes allocates as the bytes arrive, so a corrupt length cannot ask for a huge buffer.
        byte[] utf8 = in.readNBytes(length);
        if (utf8.length != length) {
            throw new IOException("the data ends inside a string of " + length + " bytes");
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }

    static void writeResult(DataOutputStream out, Result result) throws IOException {
        switch (result) {
            case Result.Ok ok when ok.value() == null -> out.writeByte(OK_NULL);
            case Result.Ok ok -> {
                out.writeByte(OK);
                writeString(out, ok.value());
            }
            case Result.NotFound notFound -> out.writeByte(NOT_FOUND);
            case Result.Mismatch mismatch -> {
                out.writeByte(MISMATCH);
                writeString(out, mismatch.actual());
            }
            case Result.StaleSession stale -> {
                out.writeByte(STALE_SESSION);
                out.writeLong(stale.lastSequence());
            }
            case Result.SessionOpened opened -> {
                out.writeByte(SESSION_OPENED);
                writeString(out, opened.clientId());
            }
            case Result.SessionExpired expired -> {
                out.writeByte(SESSION_EXPIRED);
                writeString(out, expired.clientId());
            }
            case Result.SessionTableFull full -> out.writeByte(SESSION_TABLE_FULL);
            case Result.QuotaExceeded exceeded -> {
                out.writeByte(QUOTA_EXCEEDED);
                out.writeLong(exceeded.stateBytes());
                out.writeLong(exceeded.quotaBytes());
            }
        }
    }

    static Result readResult(DataInputStream in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case OK -> new Result.Ok(readString(in));
            case OK_NULL -> new Result.Ok(null);
            case NOT_FOUND -> new Result.NotFound();
            case MISMATCH -> new Result.Mismatch(readString(in));
            case STALE_SESSION -> new Result.StaleSession(in.readLong());
            case SESSION_OPENED -> new Result.SessionOpened(readString(in));
            case SESSION_EXPIRED -> new Result.SessionExpired(readString(in));
            case SESSION_TABLE_FULL -> new Result.SessionTableFull();
            case QUOTA_EXCEEDED -> new Result.QuotaExceeded(in.readLong(), in.readLong());
            default -> throw new IOException("unknown result tag " + tag);
        };
    }

    static UncheckedIOException cannotFail(IOException e) {
        return new UncheckedIOException("writing to a byte array failed", e);
    }
}
