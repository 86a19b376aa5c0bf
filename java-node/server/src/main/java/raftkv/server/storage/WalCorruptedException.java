package raftkv.server.storage;

import java.io.IOException;

/**
 * The WAL is damaged somewhere other than its last record. A crash can only tear the tail, so this
 * means the disk (or someone) changed bytes that were once fsynced: starting anyway could make this
 * node forget entries it acknowledged, which breaks Raft's safety. The operator must decide.
 */
public final class WalCorruptedException extends IOException {
    public WalCorruptedException(String message) {
        super(message);
    }
}
