package raftkv.storage;

import java.io.IOException;

/**
 * What is in the data directory cannot be trusted: bytes that were once fsynced changed, or the files
 * are not in a format this build reads. Starting anyway could make this node forget entries it
 * acknowledged or a vote it gave, which breaks Raft's safety; the operator must decide.
 */
public final class WalCorruptedException extends IOException {
    public WalCorruptedException(String message) {
        super(message);
    }
}
