package raftkv.storage;

import java.io.IOException;

/**
 * What is in the data directory cannot be trusted: bytes that were once fsynced changed, or the files
 * are not in a format this build reads. Starting anyway could make this node forget entries it
 * acknowledged or a vote it gave, which breaks Raft's safety; the operator must decide. Thrown for
 * any file of the data directory (the WAL, the hard state, the snapshots): the message names the file,
 * says what is wrong with it and what the operator can do.
 */
public final class StorageCorruptedException extends IOException {
    public StorageCorruptedException(String message) {
        super(message);
    }
}
