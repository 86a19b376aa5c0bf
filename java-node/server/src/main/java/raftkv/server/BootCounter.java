package raftkv.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * How many times this node has started: a number kept in its data directory ({@value #FILE}) and
 * raised, durably, at every start. It names the process's incarnation on the peer streams
 * ({@link raftkv.server.transport.StreamId}), where a later incarnation must be
 * recognisable as later.
 *
 * <p>Why a counter and not the start time: a wall clock can step back across a restart (NTP, a VM
 * resumed from a snapshot), and a later process would then look earlier; the monotonic clock starts
 * anew with each boot of the machine. A number on disk that only ever grows has neither problem. It
 * lives as long as the data directory, that is as long as the node's Raft state: a directory
 * restored from a backup counts from an older number again (the receivers cope: see
 * {@code PeerRoutes}). A wiped directory is a new node, refused by its peers whatever it counts
 * ({@link raftkv.server.identity.IdentityGate}).
 *
 * <p>Written as the hard state is: a temporary file, fsync, rename over the old one, fsync of the
 * directory. A crash before the rename leaves the old number, and the start it belonged to never
 * opened a stream.
 */
public final class BootCounter {

    static final String FILE = "boot-count";

    private BootCounter() {}

    /** Raises the count in {@code dataDir} and returns it: 1 at the first start. */
    public static long next(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        long count = 0;
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            try {
                count = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IOException(file + " holds '" + text + "', not a boot count", e);
            }
        }
        long next = count + 1;
        Path temp = dataDir.resolve(FILE + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap((next + "\n").getBytes(StandardCharsets.US_ASCII)));
            out.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            directory.force(true);
        }
        return next;
    }
}
