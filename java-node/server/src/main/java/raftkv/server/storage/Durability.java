package raftkv.server.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync helpers shared by the WAL and the hard-state file. */
final class Durability {

    private Durability() {}

    /**
     * fsyncs a directory, so that a file created or renamed in it survives a crash: on Linux the
     * name lives in the directory, and fsyncing the file alone does not make the name durable.
     */
    static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
